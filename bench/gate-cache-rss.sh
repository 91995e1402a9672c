#!/usr/bin/env bash
# The gate's packument cache under 1,000 distinct large packuments: runs the gate test that asks an
# in-process gate (cache bound 8 MiB, or 16 packuments when they are larger) for big-0 .. big-999 from a generated upstream, asserts the
# accounted cache bytes never pass the bound and the managed heap after a full collection grows by
# less than bound + 64 MiB, and prints cache count, accounted bytes, evictions, heap and RSS.
#   bench/gate-cache-rss.sh            # PACKUMENT_KB=5120 (5 MiB packuments, as in issue 12)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export VOUCH_GATE_RSS_PACKUMENT_KB=${PACKUMENT_KB:-5120}
dotnet build "$here/tests/Vouch.Gate.Tests" -c Release -nologo -v q >/dev/null
dotnet test "$here/tests/Vouch.Gate.Tests" -c Release --no-build \
  --filter "FullyQualifiedName~Gate_WhenAThousandDistinctPackumentsAreAsked_KeepsCacheAndHeapBounded" \
  --logger "console;verbosity=detailed" | grep -E "gate cache:|Passed!|Failed!|Assert"
