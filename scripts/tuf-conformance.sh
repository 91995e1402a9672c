#!/usr/bin/env bash
# Runs the public TUF client conformance suite (../shared/tuf-conformance, offline with its Python
# dependencies) against Vouch's TUF client, tools/Vouch.TufConformance, published here first.
# Usage: scripts/tuf-conformance.sh [CLIENT] [-- PYTEST_ARG...]
#   CLIENT defaults to a fresh Release publish of tools/Vouch.TufConformance.
# The last line is the suite's "tuf-conformance: N passed, N failed, N skipped" (expected failures,
# listed in <client>.xfails beside the executable, count as skipped). Exit status is the suite's.
# Environment: TUF_CONFORMANCE_TIMEOUT (seconds, default 2400): the suite has no per-test timeout,
# so a hanging client would hang the run.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
suite="$here/../shared/tuf-conformance/run.sh"
fail() { echo "tuf-conformance.sh: $*" >&2; echo "tuf-conformance: 0 passed, 1 failed, 0 skipped"; exit 2; }
[[ -x $suite ]] || fail "not found: $suite"

client=
if [[ $# -gt 0 && $1 != -- ]]; then client=$1; shift; fi
[[ ${1:-} == -- ]] && shift
if [[ -z $client ]]; then
  out="$here/tools/Vouch.TufConformance/bin/conformance"
  dotnet publish "$here/tools/Vouch.TufConformance" -c Release -o "$out" -nologo -v q >/dev/null \
    || fail "dotnet publish tools/Vouch.TufConformance failed"
  client="$out/vouch-tuf-conformance"
fi

# The suite serves its repositories on 127.0.0.1, and .NET's HttpClient sends even loopback requests
# through http_proxy unless no_proxy lists them (checked: with a proxy set, requests never reached a
# local server). The client honours proxies as `vouch trust update` does; the runner exempts loopback.
export no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}" NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"

# The harness busy-polls its HTTP server while the client runs: keep it from starving the machine.
timeout "${TUF_CONFORMANCE_TIMEOUT:-2400}" nice -n 10 "$suite" "$client" -- -q "$@"
rc=$?
if [[ $rc -eq 124 ]]; then
  fail "the suite did not finish within ${TUF_CONFORMANCE_TIMEOUT:-2400} s"
fi
exit $rc
