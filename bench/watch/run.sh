#!/usr/bin/env bash
# Watch of N generated packages on loopback (default 10,000): CPU and wall time of one `vouch watch
# --once` cycle, first (baseline: every packument fetched whole) and then steady state (every
# packument revalidated with If-None-Match, 304, nothing written), plus one daemon cycle that follows
# the changes feed. Usage: bench/watch/run.sh [N] (build Release first: dotnet build src/Vouch.Cli -c Release; VOUCH_CONFIG=Debug uses a Debug build).
set -euo pipefail
N="${1:-10000}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VOUCH="dotnet $ROOT/src/Vouch.Cli/bin/${VOUCH_CONFIG:-Release}/net10.0/vouch.dll"
WORK="$(mktemp -d)"
trap 'kill "$SANDBOX_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

$VOUCH sandbox --generate "$N" --port 0 --data "$WORK/data" > "$WORK/sandbox.log" 2>&1 &
SANDBOX_PID=$!
for _ in $(seq 1 600); do grep -q '^registry:' "$WORK/sandbox.log" 2>/dev/null && break; sleep 1; done
URL="$(grep '^registry:' "$WORK/sandbox.log" | awk '{print $2}')"
# The package names, from the sandbox's own changes feed.
curl -sf "${URL}_changes?since=0&limit=10000" | python3 -c 'import json,sys; [print(r["id"]) for r in json.load(sys.stdin)["results"]]' > "$WORK/packages.txt"
echo "packages: $(wc -l < "$WORK/packages.txt") at $URL"

COMMON=(--packages "$WORK/packages.txt" --registry "$URL" --trusted-root "$WORK/data/trusted_root.json" --registry-keys "$WORK/data/registry-keys.json" --cache-dir "$WORK/cache" --store "$WORK/watch.db" --no-changes-feed)
cycle() {
  /usr/bin/time -f "$1: %e s wall, %U s user, %S s sys, max RSS %M KiB" $VOUCH watch --once "${COMMON[@]}" > "$WORK/$1.jsonl" 2> "$WORK/$1.err" || true
  tail -n 2 "$WORK/$1.err"
}
cycle baseline
cycle steady-1
cycle steady-2
