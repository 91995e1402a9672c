#!/usr/bin/env bash
# Gate vs Verdaccio, both as caching proxies of the same sandbox (lottie-player scenario), on loopback.
# Measures cached packument requests per second and p99 latency (abbreviated form, as npm asks), and
# tarball throughput, with wrk (apt-get install -y wrk). Bounded in time: DURATION seconds per run.
# Verdaccio is installed from the npm registry into bench/gate-verdaccio the first time.
#   bench/gate-bench.sh            # DURATION=10 CONNECTIONS=16 THREADS=2 by default
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
duration=${DURATION:-10}
conns=${CONNECTIONS:-16}
threads=${THREADS:-2}
work=$(mktemp -d /tmp/vouch-gate-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
command -v wrk >/dev/null || { echo "gate-bench: wrk is required (apt-get install -y wrk)" >&2; exit 2; }

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done; echo "gate-bench: $1 did not come up" >&2; cat "$work"/*.log >&2; return 1; }

dotnet build "$here/src/Vouch.Cli" -c Release -nologo -v q >/dev/null
vouch=("$here/src/Vouch.Cli/bin/Release/net10.0/vouch")

sp=$(port); gp=$(port); vp=$(port)
"${vouch[@]}" sandbox --scenario lottie-player --port "$sp" --data "$work/sandbox" >"$work/sandbox.log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$sp/-/ping" || wait_http "http://127.0.0.1:$sp/lottie-web"
"${vouch[@]}" serve --upstream "http://127.0.0.1:$sp/" --listen "127.0.0.1:$gp" --data-dir "$work/gate" \
  --trusted-root "$work/sandbox/trusted_root.json" --registry-keys "$work/sandbox/registry-keys.json" >"$work/gate.log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$gp/-/ping"

vd=$here/bench/gate-verdaccio
if [[ ! -x $vd/node_modules/.bin/verdaccio ]]; then
  # verdaccio asks for node-fetch@cjs, a dist-tag the npm mirror here does not carry: pin it.
  mkdir -p "$vd"
  echo '{"private":true,"dependencies":{"verdaccio":"^6"},"overrides":{"node-fetch":"2.7.0"}}' >"$vd/package.json"
  (cd "$vd" && npm install --no-audit --no-fund >/dev/null 2>&1) || { echo "gate-bench: could not install verdaccio" >&2; exit 3; }
fi
cat >"$work/verdaccio.yaml" <<YAML
storage: $work/verdaccio-storage
uplinks:
  sandbox:
    url: http://127.0.0.1:$sp/
    cache: true
    maxage: 10m
packages:
  '@*/*':
    access: \$all
    proxy: sandbox
  '**':
    access: \$all
    proxy: sandbox
log: { type: stdout, format: pretty, level: fatal }
server:
  keepAliveTimeout: 60
YAML
"$vd/node_modules/.bin/verdaccio" --config "$work/verdaccio.yaml" --listen "127.0.0.1:$vp" >"$work/verdaccio.log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$vp/-/ping"

pkg='@lottiefiles%2flottie-player'
tgz='@lottiefiles/lottie-player/-/lottie-player-2.0.8.tgz'
accept='Accept: application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*'
for base in "http://127.0.0.1:$gp" "http://127.0.0.1:$vp"; do
  curl -fsS -H "$accept" -o /dev/null "$base/$pkg"
  curl -fsS -o /dev/null "$base/$tgz"
done

run() { # name url [header]
  local out
  out=$(wrk -t"$threads" -c"$conns" -d"${duration}s" --latency ${3:+-H "$3"} "$2")
  local rps p99 tps
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  tps=$(awk '/^Transfer\/sec/ {print $2}' <<<"$out")
  printf '%-34s %12s req/s   p99 %-9s %s/s\n' "$1" "$rps" "$p99" "$tps"
}

echo "gate-bench: ${duration}s per run, $conns connections, $threads wrk threads, $(nproc) cores"
run "gate packument (cached)"      "http://127.0.0.1:$gp/$pkg" "$accept"
run "verdaccio packument (cached)" "http://127.0.0.1:$vp/$pkg" "$accept"
run "gate tarball (cached)"        "http://127.0.0.1:$gp/$tgz"
run "verdaccio tarball (cached)"   "http://127.0.0.1:$vp/$tgz"
