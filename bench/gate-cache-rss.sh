#!/usr/bin/env bash
# The gate's packument cache under 1,000 distinct large packuments: runs the gate test that asks an
# in-process gate (cache bound 8 MiB, or 16 packuments when they are larger) for big-0 .. big-999 from a generated upstream, asserts the
# accounted cache bytes never pass the bound, the managed heap after a full collection is flat once
# the cache and the runtime's buffer pools are warm (after 200 requests), and its total growth stays
# under bound + 64 MiB + 32 packuments of pooled buffers; prints cache count, bytes, evictions, heap, RSS.
#   bench/gate-cache-rss.sh            # PACKUMENT_KB=5120 (5 MiB packuments, as in issue 12)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export VOUCH_GATE_RSS_PACKUMENT_KB=${PACKUMENT_KB:-5120}
dotnet build "$here/tests/Vouch.Gate.Tests" -c Release -nologo -v q >/dev/null
dotnet test "$here/tests/Vouch.Gate.Tests" -c Release --no-build \
  --filter "FullyQualifiedName~GateMemoryTests" \
  --logger "console;verbosity=detailed" | grep -E "gate cache:|Passed!|Failed!|Assert"
