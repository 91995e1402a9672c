#!/usr/bin/env bash
# Single-thread throughput of Vouch's Sigstore verifier against the JavaScript reference verifier
# (@sigstore/verify, as npm itself uses it), on the same recorded npm attestation bundles, the same
# trusted root and for the same duration, in one run. Each operation on both sides: parse the bundle
# JSON, verify it fully (certificate chain at the Rekor integrated time, SCT, Rekor entry body, signed
# entry timestamp, inclusion proof + checkpoint when present, DSSE signature) and check the in-toto
# subject against the tarball's sha512. The sides run back to back, alternating which goes first,
# for --rounds rounds; the summary is the median of each side and their ratio.
#
# usage: bench/sigstore-compare.sh [--seconds T] [--warmup W] [--rounds R] [--set provenance|publish|all] [--no-build]
#   --set provenance (default): the three SLSA provenance bundles (Fulcio certificate); publish: the
#   three npm publish attestations (registry key); all: the six.
# Needs node (>= 20.17) and the .NET SDK. The npm packages are installed once into
# bench/sigstore-js/node_modules (versions pinned in bench/sigstore-js/package.json); after that,
# and after the first build, nothing here uses the network: trust material comes from the fixture's
# trusted_root.json, never from TUF.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
seconds=10 warmup=2 rounds=3 set=provenance build=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --set) set=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "--rounds must be a positive integer" >&2; exit 2; }
[[ $set =~ ^(provenance|publish|all)$ ]] || { echo "--set must be provenance, publish or all" >&2; exit 2; }

fixtures_root=${VOUCH_SHARED_FIXTURES:-$repo/../shared/fixtures}
fixtures=$(cd "$fixtures_root/npm" 2>/dev/null && pwd) || { echo "fixtures not found at $fixtures_root/npm (set VOUCH_SHARED_FIXTURES)" >&2; exit 2; }
export VOUCH_SHARED_FIXTURES=$(dirname "$fixtures")
command -v node >/dev/null || { echo "node is required" >&2; exit 2; }
command -v dotnet >/dev/null || { echo "the .NET SDK is required" >&2; exit 2; }

# 1. The reference verifier, from the npm registry, into a bench-local node_modules (only when the
#    pinned versions are not already there). No lock file: all four packages are pinned exactly and
#    have no other dependencies.
js=$here/sigstore-js
if ! (cd "$js" && npm ls --depth=0 >/dev/null 2>&1); then
  echo "installing @sigstore/verify into $js/node_modules ..." >&2
  (cd "$js" && npm install --no-package-lock --no-audit --no-fund --loglevel=error >&2)
fi
js_version=$(node -p "require('$js/node_modules/@sigstore/verify/package.json').version")

# 2. Vouch, optimised build.
dll=$here/Vouch.Benchmarks/bin/Release/net10.0/Vouch.Benchmarks.dll
if [[ $build -eq 1 ]]; then
  log=$(mktemp); trap 'rm -f "$log"' EXIT
  dotnet build "$here/Vouch.Benchmarks" -c Release -nologo -v q >"$log" 2>&1 || { cat "$log" >&2; echo "build failed" >&2; exit 1; }
fi
[[ -f $dll ]] || { echo "$dll is missing (build without --no-build)" >&2; exit 2; }

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
echo "machine: ${cpu:-unknown CPU}, $(nproc) cores; node $(node --version), @sigstore/verify $js_version; .NET $(dotnet --version)"
echo "method: $set bundles, parse + verify, 1 thread, ${warmup} s warm-up + ${seconds} s timed per side, $rounds rounds alternating order"

run_js() { node "$js/compare.js" "$fixtures" --seconds "$seconds" --warmup "$warmup" --set "$set"; }
run_vouch() { dotnet "$dll" --quick --seconds "$seconds" --warmup "$warmup" --set "$set"; }

js_rates=() vouch_rates=()
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2 == 1)); then order=(js vouch); else order=(vouch js); fi
  for side in "${order[@]}"; do
    line=$("run_$side") || { echo "round $r: $side failed" >&2; exit 1; }
    echo "round $r: $line"
    rate=$(awk '{print $2}' <<<"$line")
    [[ $rate =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "round $r: cannot read a rate from: $line" >&2; exit 1; }
    if [[ $side == js ]]; then js_rates+=("$rate"); else vouch_rates+=("$rate"); fi
  done
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
js_median=$(median "${js_rates[@]}")
vouch_median=$(median "${vouch_rates[@]}")
echo "sigstore-js: $js_median bundles/s (median of ${js_rates[*]})"
echo "vouch:       $vouch_median bundles/s (median of ${vouch_rates[*]})"
awk -v v="$vouch_median" -v j="$js_median" 'BEGIN { printf "ratio: %.1fx sigstore-js single-thread throughput (Vouch %.0f us/bundle, sigstore-js %.0f us/bundle)\n", v / j, 1e6 / v, 1e6 / j }'
