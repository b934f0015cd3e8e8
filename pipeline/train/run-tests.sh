#!/usr/bin/env bash
# Run the training package's tests in its venv (creates it first if missing).
#   pipeline/train/run-tests.sh [pytest args]      GEOSCOUT_SKIP_SLOW=1 skips the ViT-B-32 export
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${GEOSCOUT_VENV:-$(cd "$HERE/../.." && pwd)/.venv-train}"
[[ -x "$VENV/bin/python" ]] || "$HERE/setup.sh"
export OPENBLAS_NUM_THREADS=1
# Tests use tiny models: one torch thread is as fast and does not collapse when other
# processes load the 2 cores (2 threads made the tiny run 7x slower under load).
export GEOSCOUT_TORCH_THREADS="${GEOSCOUT_TORCH_THREADS:-1}"
cd "$HERE"
exec "$VENV/bin/python" -m pytest tests -p no:cacheprovider "$@"
