#!/usr/bin/env bash
# Measures what one start of a TUF conformance client costs, the way the suite starts it: a fresh
# process per step (init, refresh, download) against a real repository served on 127.0.0.1. The
# repository is the suite's recorded Sigstore one (static_data/sigstore-root-signing: 12 roots, real
# keys), run under faketime at its recorded date like the suite's static test.
# Several clients are measured interleaved (A B A B ...), so load from other processes hits each alike.
# Usage: scripts/tuf-client-startup.sh [-n ROUNDS] CLIENT [CLIENT...]
# Prints, per client and step (init, refresh, download): the median wall time and the median CPU time.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=15
if [[ ${1:-} == -n ]]; then rounds=$2; shift 2; fi
(($#)) || { echo "usage: $0 [-n ROUNDS] CLIENT [CLIENT...]" >&2; exit 2; }
static="$here/../shared/tuf-conformance/suite/tuf_conformance/static_data/sigstore-root-signing"
[[ -d $static ]] || { echo "not found: $static" >&2; exit 2; }
command -v faketime >/dev/null || { echo "faketime is not installed (../shared/tuf-conformance/run.sh installs it)" >&2; exit 2; }
fake_time=$(cat "$static/faketime")
target=$(cat "$static/targetpath")

work=$(mktemp -d)
server_pid=
cleanup() { [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# A port of our own: bind to 0 and read back what the kernel gave.
python3 - "$static" "$work/port" <<'PY' &
import functools, http.server, sys
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
handler = functools.partial(Quiet, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
open(sys.argv[2], "w").write(str(server.server_address[1]))
server.serve_forever()
PY
server_pid=$!
for _ in $(seq 50); do [[ -s $work/port ]] && break; sleep 0.1; done
[[ -s $work/port ]] || { echo "the repository server did not start" >&2; exit 2; }
base="http://127.0.0.1:$(cat "$work/port")"

# Wall time suffers from whatever else the machine runs; CPU time (user + system) much less so.
# Both are reported per step.
run() { # STEP IDX COMMAND...
  local step=$1 idx=$2
  shift 2
  /usr/bin/time -f '%e %U %S' -o "$work/time" "$@" >/dev/null || { echo "$step failed: $*" >&2; exit 1; }
  read -r wall user sys <"$work/time"
  samples[$idx,$step,wall]+="$(awk -v w="$wall" 'BEGIN {printf "%d", w * 1000}') "
  samples[$idx,$step,cpu]+="$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%d", (u + s) * 1000}') "
}
declare -A samples
for ((r = 1; r <= rounds; r++)); do
  idx=0
  for client in "$@"; do
    idx=$((idx + 1))
    dir="$work/c$idx-r$r"
    mkdir -p "$dir/metadata" "$dir/targets"
    run init $idx "$client" --metadata-dir "$dir/metadata" init "$static/initial_root.json"
    run refresh $idx faketime "$fake_time" "$client" --metadata-url "$base/metadata" --metadata-dir "$dir/metadata" refresh
    run download $idx faketime "$fake_time" "$client" --metadata-url "$base/metadata" --metadata-dir "$dir/metadata" \
      --target-name "$target" --target-base-url "$base/targets" --target-dir "$dir/targets" download
  done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {printf "%5d ms", a[int((NR+1)/2)]}'; }
idx=0
for client in "$@"; do
  idx=$((idx + 1))
  echo "$client ($rounds rounds)"
  for step in init refresh download; do
    printf '  %-9s median wall %s  median cpu %s\n' "$step" "$(echo "${samples[$idx,$step,wall]}" | median)" "$(echo "${samples[$idx,$step,cpu]}" | median)"
  done
done
