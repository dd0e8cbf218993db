# Sourced by tools/tox.sh and tools/demo.sh: makes the two shared environments under .venv/.
#   .venv/torch  torch + torchvision only (seen by every tox environment through a .pth file)
#   .venv/tools  tox and the demo's driver
# Sets VISIONBOX_TORCH_SITE and VISIONBOX_TOOLS_BIN. Idempotent: a second run installs nothing.
set -euo pipefail

: "${PYTHON:=python3}"
VENV_ROOT="${VISIONBOX_VENV_ROOT:-$PWD/.venv}"
TORCH_SPEC="${VISIONBOX_TORCH_SPEC:-torch>=2.1 torchvision>=0.16}"

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
    echo "VisionBox needs Python >= 3.10; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
    exit 1
}

if [ ! -x "$VENV_ROOT/torch/bin/python" ]; then
    "$PYTHON" -m venv "$VENV_ROOT/torch"
fi
if ! "$VENV_ROOT/torch/bin/python" -c "import torch, torchvision" 2>/dev/null; then
    echo "Installing PyTorch into $VENV_ROOT/torch (once; shared by every environment)"
    # shellcheck disable=SC2086
    "$VENV_ROOT/torch/bin/python" -m pip install -q --disable-pip-version-check $TORCH_SPEC
fi
VISIONBOX_TORCH_SITE="$("$VENV_ROOT/torch/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
export VISIONBOX_TORCH_SITE

if [ ! -x "$VENV_ROOT/tools/bin/tox" ]; then
    "$PYTHON" -m venv "$VENV_ROOT/tools"
    "$VENV_ROOT/tools/bin/python" -m pip install -q --disable-pip-version-check "tox>=4.11"
fi
VISIONBOX_TOOLS_BIN="$VENV_ROOT/tools/bin"
export VISIONBOX_TOOLS_BIN
