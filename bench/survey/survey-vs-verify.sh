#!/usr/bin/env bash
# Side by side: `vouch survey` of the sandbox survey population vs `vouch verify` once per package.
# Usage: bench/survey/survey-vs-verify.sh VOUCH_BINARY [VERIFY_SAMPLE]
# Starts `vouch sandbox --scenario survey` (2,000 packages) on loopback, surveys it with a fresh cache,
# then runs `vouch verify` for the first VERIFY_SAMPLE (default 100) packages of the list, one process
# each, and extrapolates the loop to the whole population. Prints both times and the ratio.
set -euo pipefail
vouch=${1:?usage: survey-vs-verify.sh VOUCH_BINARY [VERIFY_SAMPLE]}
sample=${2:-100}
work=$(mktemp -d)
trap 'kill "$sandbox_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$vouch" sandbox --scenario survey --data "$work/data" > "$work/sandbox.log" 2>&1 &
sandbox_pid=$!
until grep -q '^package list:' "$work/sandbox.log" 2>/dev/null; do sleep 1; done
url=$(sed -n 's/^registry: *//p' "$work/sandbox.log")
root="$work/data/trusted_root.json"
list="$work/data/packages.txt"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
start=$(date +%s.%N)
"$vouch" survey --registry "$url" --trusted-root "$root" --cache-dir "$work/cache-survey" --packages "$list" --jsonl "$work/s.jsonl" > "$work/summary.txt"
survey=$(echo "$(date +%s.%N) - $start" | bc)
cat "$work/summary.txt"
start=$(date +%s.%N)
head -n "$sample" "$list" | while read -r name _; do
  "$vouch" verify --registry "$url" --trusted-root "$root" --cache-dir "$work/cache-verify" "$name" > /dev/null || true
done
verify=$(echo "$(date +%s.%N) - $start" | bc)
total=$(wc -l < "$list")
per=$(echo "scale=4; $verify / $sample" | bc)
loop=$(echo "scale=1; $per * $total" | bc)
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "survey of $total packages: ${survey}s"
echo "verify loop: ${verify}s for $sample packages = ${per}s per package, ${loop}s extrapolated to $total"
echo "ratio (verify loop / survey): $(echo "scale=1; $loop / $survey" | bc)x"
