#!/usr/bin/env bash
# The CI's short rehearsal (README, "The rehearsal"): partition, host death and web node death
# on a 200-record export in under four minutes, its table in the log; exit 1 when a scenario
# failed. Needs root (network namespaces). Not in .ci/run yet (a web-death row once missed a ready email).
set -euo pipefail
cd "$(dirname "$0")/.."
exec make --no-print-directory rehearsal REHEARSAL_ARGS="--short $*"
