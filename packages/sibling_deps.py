"""Requirements on VisionBox sibling packages, shared by the task packages' ``setup.py``.

Inside the repository a sibling is required by its local path (``visionbox-core @ file:///...``), so
that ``pip install ./packages/detection`` brings ``visionbox-core`` from the same checkout. Built
anywhere else (from an sdist), the sibling is pinned to the shared version instead.
"""

from __future__ import annotations

from pathlib import Path

VERSION = "0.1.0"
PACKAGES_DIR = Path(__file__).resolve().parent


def sibling_requirements(*names: str) -> list[str]:
    """Return one requirement per sibling package name (``'core'``, ``'detection'``, ...)."""
    requirements = []
    for name in names:
        local = PACKAGES_DIR / name
        if (local / "pyproject.toml").is_file():
            requirements.append(f"visionbox-{name} @ {local.as_uri()}")
        else:
            requirements.append(f"visionbox-{name}=={VERSION}")
    return requirements
