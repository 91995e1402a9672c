#!/usr/bin/env bash
# Runs the Sigstore conformance bundle-verify cases in ../shared through the built `vouch` binary,
# the way the sigstore-conformance harness drives a client, and prints "N passed, N failed".
# Usage: scripts/conformance.sh [path/to/vouch] [cases-dir]
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
vouch=${1:-}
cases=${2:-"$here/../shared/fixtures/sigstore-conformance/bundle-verify"}
if [[ -z $vouch ]]; then
  dotnet build "$here/src/Vouch.Cli" -c Release -v q -nologo >/dev/null || { echo "build failed" >&2; exit 2; }
  vouch="$here/src/Vouch.Cli/bin/Release/net10.0/vouch"
fi
default_identity='https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
default_issuer='https://token.actions.githubusercontent.com'
passed=0 failed=0
for dir in "$cases"/*/; do
  name=$(basename "$dir")
  args=(sigstore verify-bundle --bundle "$dir/bundle.sigstore.json")
  if [[ -f $dir/key.pub ]]; then
    args+=(--key "$dir/key.pub")
  else
    identity=$default_identity issuer=$default_issuer
    [[ -f $dir/identity ]] && identity=$(cat "$dir/identity")
    [[ -f $dir/issuer ]] && issuer=$(cat "$dir/issuer")
    args+=(--certificate-identity "$identity" --certificate-oidc-issuer "$issuer")
  fi
  [[ -f $dir/trusted_root.json ]] && args+=(--trusted-root "$dir/trusted_root.json")
  artifact="$dir/artifact"; [[ -f $artifact ]] || artifact="$cases/a.txt"
  out=$("$vouch" "${args[@]}" "$artifact" 2>&1); rc=$?
  if [[ $name == *_fail ]]; then want="fail"; [[ $rc -ne 0 ]] && ok=1 || ok=0; else want="pass"; [[ $rc -eq 0 ]] && ok=1 || ok=0; fi
  [[ -n ${VERBOSE:-} ]] && echo "$name: exit $rc: ${out:0:220}"
  if [[ $ok -eq 1 ]]; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAILED $name (expected $want, exit $rc): $out"; fi
done
echo "conformance: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
