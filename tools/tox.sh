#!/usr/bin/env bash
# Runs the VisionBox test suite with tox on a fresh machine: makes the shared PyTorch install once
# (.venv/torch), then `tox` with any arguments given (default: every environment of tox.ini's envlist).
#   bash tools/tox.sh                 # everything
#   bash tools/tox.sh -e detection    # one package
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/ci/bootstrap.sh
exec "$VISIONBOX_TOOLS_BIN/tox" "$@"
