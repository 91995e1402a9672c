#!/usr/bin/env bash
# `vouch check` of one package whose tree has PACKAGES packages (issue 15: < 1 s warm on loopback).
#
#   bench/check-bench.sh [PACKAGES] [ROUNDS] [VOUCH]   (defaults: 300 packages, 5 warm rounds, scripts/publish-cli)
#
# Writes a seeded scenario: `app-root` depends on 10 packages, each of which depends on a slice of
# the others (shared dependencies, depth 3), PACKAGES packages in all, every fourth one published
# with provenance (Sigstore bundle + publish attestation from the sandbox's own Sigstore), the rest
# with a token (registry signature). `vouch sandbox --scenario` serves it on 127.0.0.1; then
# `vouch check app-root@1.0.0` runs once cold (empty cache directory) and ROUNDS times warm (same
# cache directory, within the default --max-age of 5 minutes), each under /usr/bin/time; then once
# more with --prefer-online (every packument revalidated with the registry, evidence from the cache). Every run must resolve and check PACKAGES packages
# (the script checks the JSON's package count and fails otherwise). An empty advisory database
# is imported from an empty zip so the advisory lookups run too.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
packages=${1:-300}
rounds=${2:-5}
vouch=${3:-}
work=$(mktemp -d /tmp/vouch-check-bench.XXXXXX)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -z $vouch ]]; then
  # What users run (scripts/vouch): the Release publish with ReadyToRun code, as the audit bench uses.
  echo "publishing vouch (Release, ReadyToRun)..." >&2
  vouch=$("$here/scripts/publish-cli")
fi

python3 - "$packages" > "$work/scenario.yml" <<'PY'
import random, sys
n = int(sys.argv[1])
r = random.Random(20261206)
names = ["app-root"] + [f"dep-{i:04d}" for i in range(1, n)]
level1 = names[1:11]
rest = names[11:]
deps = {name: [] for name in names}
deps["app-root"] = level1
# Every level-1 package owns a slice of the rest (so every package is reached) and shares a few more.
for i, name in enumerate(rest):
    deps[level1[i % len(level1)]].append(name)
for name in rest:
    later = [x for x in rest if x > name]
    deps[name] = r.sample(later, min(len(later), r.randint(0, 3)))
print("name: check-bench")
print("packages:")
for i, name in enumerate(names):
    print(f"  - name: {name}")
    print(f"    repository: bench/{name}")
    print("    versions:")
    print("      - version: 1.0.0")
    print("        published: -400d")
    print(f"        publisher: {'provenance' if i % 4 == 0 else 'token'}")
    if deps[name]:
        print("        dependencies: {" + ", ".join(f'{d}: "^1.0.0"' for d in deps[name]) + "}")
PY

mkdir -p "$work/project" "$work/data"
mkfifo "$work/stdin"
"$vouch" sandbox --scenario "$work/scenario.yml" --data "$work/data" < "$work/stdin" > "$work/sandbox.out" 2>&1 &
server_pid=$!
exec 3> "$work/stdin"
for _ in $(seq 1 600); do
  grep -q '^registry:' "$work/sandbox.out" 2>/dev/null && break
  sleep 0.1
done
url=$(awk '/^registry:/ {print $2}' "$work/sandbox.out")
[[ -n $url ]] || { cat "$work/sandbox.out" >&2; echo "sandbox did not start" >&2; exit 1; }
echo "sandbox: $url ($packages packages)" >&2

python3 -c "import zipfile,sys; zipfile.ZipFile(sys.argv[1],'w').close()" "$work/empty.zip"
"$vouch" db update --from "$work/empty.zip" --db "$work/adv.db" > /dev/null

run() {
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$vouch" check app-root@1.0.0 --registry "$url" \
    --trusted-root "$work/data/trusted_root.json" --cache-dir "$work/cache" --project "$work/project" \
    --db "$work/adv.db" --json "${@:2}" > "$work/out.json" || [[ $? -eq 1 ]]
  local count
  count=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['packages']))" "$work/out.json")
  [[ $count -eq $packages ]] || { echo "checked $count packages, expected $packages" >&2; exit 1; }
  read -r wall user sys rss < "$work/time"
  echo "$1 wall ${wall}s user ${user}s sys ${sys}s peak RSS $((rss / 1024)) MiB ($count packages)"
}

run cold
for i in $(seq 1 "$rounds"); do run "warm $i"; done
if "$vouch" check --help 2>/dev/null | grep -q -- --prefer-online; then run "warm, --prefer-online" --prefer-online; fi
