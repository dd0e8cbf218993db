"""Let the current environment see a shared PyTorch install instead of installing its own.

PyTorch and torchvision take about 5.5 GB per environment. ``tools/tox.sh`` installs them once into
``.venv/torch`` and exports ``VISIONBOX_TORCH_SITE`` (that environment's site-packages); each tox
environment runs this script first, which appends that folder to the environment's ``sys.path``
through a ``.pth`` file. The environment's own packages still come first, and pip sees torch as
installed, so ``pip install ./packages/<name>`` installs only what is missing.

Without ``VISIONBOX_TORCH_SITE`` this does nothing and pip installs torch as usual.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path


def main() -> int:
    shared = os.environ.get("VISIONBOX_TORCH_SITE")
    if not shared:
        return 0
    shared_path = Path(shared)
    if not (shared_path / "torch").is_dir():
        print(f"VISIONBOX_TORCH_SITE={shared} holds no torch package", file=sys.stderr)
        return 1
    site = Path(sysconfig.get_paths()["purelib"])
    (site / "visionbox_shared_torch.pth").write_text(f"{shared_path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
