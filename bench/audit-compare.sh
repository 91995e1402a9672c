#!/usr/bin/env bash
# vouch audit vs npm audit signatures, side by side in one run on the same installed tree.
#
#   bench/audit-compare.sh [PACKAGES] [ROUNDS]     (defaults: 2000 packages, 3 rounds)
#   AUDIT_MEMORY_ONLY=1 bench/audit-compare.sh 10000   (vouch's peak memory only; the tree is
#                                                       resolved with --package-lock-only)
#
# A sandbox registry (bench/AuditBench, Vouch.Sandbox) serves a generated graph of PACKAGES packages
# on 127.0.0.1, signed by its own registry key, a quarter of them with Sigstore provenance from its
# own Sigstore instance. npm installs the graph into a temporary project. npm's Sigstore TUF client
# normally refreshes from tuf-repo-cdn.sigstore.dev; here it gets a TUF repository of our own (root in
# npm's cache, repository behind a loopback TLS proxy whose CA is passed with NODE_EXTRA_CA_CERTS), so
# nothing leaves the machine and `npm audit signatures` verifies the sandbox's signatures and
# attestations for real (the script checks its counts). Each round times, with /usr/bin/time -v:
#   npm cold   npm audit signatures with an empty npm cache (TUF root kept)
#   npm warm   the same again (npm's HTTP cache filled)
#   vouch cold vouch audit --no-policy with an empty cache directory
#   vouch warm vouch audit --no-policy again (evidence cache filled)
#   policy cold/warm  vouch audit with the default policy (what users run), empty cache, then again
# and prints medians, ratios and peak RSS; then one profiled cold and warm run with the default policy
# (VOUCH_PROFILE=1: time per stage on stderr). With AUDIT_MEMORY_ONLY=1 (no npm runs) it also prints
# the time per package, to compare sizes for linear growth, and checks the 300 MB bound.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
packages=${1:-2000}
rounds=${2:-3}
work=$(mktemp -d /tmp/vouch-audit-bench.XXXXXX)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "building vouch and the benchmark server..." >&2
# What users run (scripts/vouch): the Release publish with ReadyToRun code.
vouch=$("$here/scripts/publish-cli")
dotnet build "$here/bench/AuditBench" -c Release -nologo -v q >&2

mkfifo "$work/stdin"
dotnet "$here/bench/AuditBench/bin/Release/net10.0/AuditBench.dll" serve --packages "$packages" --dir "$work/w" <"$work/stdin" >"$work/serve.out" 2>&1 &
server_pid=$!
exec 9>"$work/stdin"   # keeps the server's stdin open; closing it (on exit) stops the server
for _ in $(seq 1 300); do grep -q '^READY' "$work/serve.out" 2>/dev/null && break; sleep 1; done
grep -q '^READY' "$work/serve.out" || { cat "$work/serve.out" >&2; echo "the sandbox did not start" >&2; exit 1; }
val() { grep "^$1=" "$work/serve.out" | cut -d= -f2-; }
registry=$(val REGISTRY); tuf_proxy=$(val TUF_PROXY); ca=$(val CA); project=$(val PROJECT)
npm_cache=$(val NPM_CACHE); trusted_root=$(val TRUSTED_ROOT); registry_keys=$(val REGISTRY_KEYS)
echo "sandbox: $registry, $(val PACKAGES) packages, $(val VERSIONS) versions" >&2

cd "$project"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
if [[ -n ${AUDIT_MEMORY_ONLY:-} ]]; then
  echo "resolving the tree (package-lock only)..." >&2
  npm install --package-lock-only --registry "$registry" --cache "$npm_cache" --ignore-scripts --loglevel=error >&2
else
  echo "installing the tree with npm..." >&2
  npm install --registry "$registry" --cache "$npm_cache" --ignore-scripts --loglevel=error >&2
fi
echo "lockfile: $(grep -c '"node_modules/' package-lock.json) entries" >&2

# Runs a command under /usr/bin/time -v; prints "seconds peak_kb" and keeps its output in $work/last.out.
measure() {
  /usr/bin/time -v -o "$work/time.txt" "$@" >"$work/last.out" 2>&1 || true
  local wall kb
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$work/time.txt")
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
  echo "$wall $kb"
}

# The two commands as scripts, so /usr/bin/time measures them (and their children) directly.
cat >"$work/npm-audit" <<SH
#!/usr/bin/env bash
exec env https_proxy="$tuf_proxy" no_proxy=127.0.0.1,localhost NODE_EXTRA_CA_CERTS="$ca" npm audit signatures --registry "$registry" --cache "$npm_cache"
SH
cat >"$work/vouch-audit" <<SH
#!/usr/bin/env bash
exec "$vouch" audit "$project" --no-policy --registry "$registry" --trusted-root "$trusted_root" --registry-keys "$registry_keys" --cache-dir "$work/vouch-cache"
SH
# vouch's default (the built-in policy, which reads every packument's history on every run): reported
# beside the like-for-like run, not instead of it.
cat >"$work/vouch-audit-policy" <<SH
#!/usr/bin/env bash
exec "$vouch" audit "$project" --registry "$registry" --trusted-root "$trusted_root" --registry-keys "$registry_keys" --cache-dir "$work/vouch-cache-policy"
SH
chmod +x "$work/npm-audit" "$work/vouch-audit" "$work/vouch-audit-policy"
check_npm() {
  grep -q "packages\? ha[sv]e\? verified registry signatures" "$work/last.out" || { cat "$work/last.out" >&2; echo "npm audit signatures did not verify the sandbox: not a measurement" >&2; exit 1; }
}
check_vouch() {
  grep -q "verified registry signatures" "$work/last.out" || { cat "$work/last.out" >&2; echo "vouch audit failed" >&2; exit 1; }
}

declare -a nc nw vc vw nck nwk vck vwk pc pw pck
for r in $(seq 1 "$rounds"); do
  if [[ -z ${AUDIT_MEMORY_ONLY:-} ]]; then
    # Cold npm: empty its HTTP cache, keep the TUF root we gave it.
    find "$npm_cache" -mindepth 1 -maxdepth 1 ! -name _tuf -exec rm -rf {} +
    read -r t k < <(measure "$work/npm-audit"); check_npm; nc+=("$t"); nck+=("$k")
    [[ $r == 1 ]] && { echo "npm:"; grep -E "audited|verified|invalid|missing" "$work/last.out" | sed 's/^/  /'; }
    read -r t k < <(measure "$work/npm-audit"); check_npm; nw+=("$t"); nwk+=("$k")
  fi
  rm -rf "$work/vouch-cache"
  read -r t k < <(measure "$work/vouch-audit"); check_vouch; vc+=("$t"); vck+=("$k")
  [[ $r == 1 ]] && { echo "vouch:"; grep -E "audited|verified|invalid|missing|errors" "$work/last.out" | sed 's/^/  /'; }
  read -r t k < <(measure "$work/vouch-audit"); check_vouch; vw+=("$t"); vwk+=("$k")
  rm -rf "$work/vouch-cache-policy"
  read -r t k < <(measure "$work/vouch-audit-policy"); check_vouch; pc+=("$t"); pck+=("$k")
  read -r t k < <(measure "$work/vouch-audit-policy"); check_vouch; pw+=("$t"); pck+=("$k")
  if [[ -z ${AUDIT_MEMORY_ONLY:-} ]]; then
    echo "round $r: npm cold ${nc[-1]}s warm ${nw[-1]}s | vouch --no-policy cold ${vc[-1]}s warm ${vw[-1]}s | default policy cold ${pc[-1]}s warm ${pw[-1]}s | peak RSS npm ${nck[-1]} KB, vouch ${vck[-1]} KB" >&2
  else
    echo "round $r: vouch --no-policy cold ${vc[-1]}s warm ${vw[-1]}s, default policy cold ${pc[-1]}s warm ${pw[-1]}s | peak RSS vouch ${vck[-1]} KB cold, ${vwk[-1]} KB warm" >&2
  fi
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
max() { printf '%s\n' "$@" | sort -g | tail -1; }
echo
echo "packages: $packages, rounds: $rounds (medians)"
if [[ -z ${AUDIT_MEMORY_ONLY:-} ]]; then
  mnc=$(median "${nc[@]}"); mnw=$(median "${nw[@]}")
fi
mvc=$(median "${vc[@]}"); mvw=$(median "${vw[@]}")
printf '%-22s %10s %10s %14s\n' "" "cold (s)" "warm (s)" "peak RSS (MB)"
if [[ -z ${AUDIT_MEMORY_ONLY:-} ]]; then
  printf '%-22s %10s %10s %14s\n' "npm audit signatures" "$mnc" "$mnw" "$(( $(max "${nck[@]}" "${nwk[@]}") / 1024 ))"
fi
printf '%-22s %10s %10s %14s\n' "vouch audit --no-policy" "$mvc" "$mvw" "$(( $(max "${vck[@]}" "${vwk[@]}") / 1024 ))"
mpc=$(median "${pc[@]}"); mpw=$(median "${pw[@]}")
printf '%-22s %10s %10s %14s\n' "vouch audit (policy)" "$mpc" "$mpw" "$(( $(max "${pck[@]}") / 1024 ))"
peak_mb=$(( $(max "${vck[@]}" "${vwk[@]}" "${pck[@]}") / 1024 ))
awk -v n="$packages" -v a="$mvc" -v b="$mvw" -v c="$mpc" -v d="$mpw" 'BEGIN { printf "per package: --no-policy cold %.0f us, warm %.0f us; default policy cold %.0f us, warm %.0f us (compare across sizes for linear growth)\n", a/n*1e6, b/n*1e6, c/n*1e6, d/n*1e6 }'
echo "peak RSS of vouch: $peak_mb MB ($( [[ $peak_mb -lt 300 ]] && echo "under" || echo "OVER") the 300 MB bound)"
if [[ -z ${AUDIT_MEMORY_ONLY:-} ]]; then
  awk -v a="$mnc" -v b="$mvc" -v c="$mnw" -v d="$mvw" 'BEGIN { printf "ratio (npm / vouch --no-policy, like for like): cold %.1fx, warm %.1fx (npm warm / vouch warm), %.1fx (npm cold / vouch warm)\n", a/b, c/d, a/d }'
  awk -v a="$mnc" -v b="$mpc" -v c="$mnw" -v d="$mpw" 'BEGIN { printf "ratio (npm / vouch with the default policy): cold %.1fx, warm %.1fx\n", a/b, c/d }'
fi

# Where the time goes: one profiled cold and warm run with the default policy (stage times summed
# over concurrent workers, so they can exceed the wall time).
rm -rf "$work/vouch-cache-policy"
VOUCH_PROFILE=1 "$work/vouch-audit-policy" >/dev/null 2>"$work/profile-cold.txt" || true
VOUCH_PROFILE=1 "$work/vouch-audit-policy" >/dev/null 2>"$work/profile-warm.txt" || true
echo
echo "profile, default policy, cold:"; sed -n '/^profile/,$p' "$work/profile-cold.txt" | tail -n +2
echo "profile, default policy, warm:"; sed -n '/^profile/,$p' "$work/profile-warm.txt" | tail -n +2
