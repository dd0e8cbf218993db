"""Requirements on VisionBox sibling packages, and the build backend that the task packages use.

Inside the repository a sibling is required by its local path (``visionbox-core @ file:///...``), so
that ``pip install ./packages/detection`` brings ``visionbox-core`` from the same checkout.

An editable build (``pip install -e packages/detection``) requires the sibling by name and
version instead (``visionbox-core==0.1.0``): pip matches that with an editable ``visionbox-core``
given on the same command line or already installed, where a ``file://`` requirement would conflict
with it (``ResolutionImpossible``) or replace it with a copy. So the developer install is

    pip install -e packages/core -e packages/detection -e packages/segmentation \\
        -e packages/pose -e packages/tracking

Each task package's ``build_backend.py`` re-exports the hooks below (setuptools' own, with the
editable ones marking the build as editable for ``setup.py``). Built anywhere else (from an
sdist), the sibling is pinned to the shared version.
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import build_meta as _setuptools

VERSION = "0.1.0"
PACKAGES_DIR = Path(__file__).resolve().parent
_EDITABLE = "VISIONBOX_EDITABLE_BUILD"

# setuptools' hooks, unchanged for regular builds.
build_sdist = _setuptools.build_sdist
build_wheel = _setuptools.build_wheel
get_requires_for_build_sdist = _setuptools.get_requires_for_build_sdist
get_requires_for_build_wheel = _setuptools.get_requires_for_build_wheel
prepare_metadata_for_build_wheel = _setuptools.prepare_metadata_for_build_wheel


def _editable(hook):
    def run(*args, **kwargs):
        os.environ[_EDITABLE] = "1"
        try:
            return hook(*args, **kwargs)
        finally:
            os.environ.pop(_EDITABLE, None)

    run.__name__ = hook.__name__
    return run


build_editable = _editable(_setuptools.build_editable)
get_requires_for_build_editable = _editable(_setuptools.get_requires_for_build_editable)
prepare_metadata_for_build_editable = _editable(_setuptools.prepare_metadata_for_build_editable)


def sibling_requirements(*names: str) -> list[str]:
    """Return one requirement per sibling package name (``'core'``, ``'detection'``, ...)."""
    requirements = []
    for name in names:
        local = PACKAGES_DIR / name
        if (local / "pyproject.toml").is_file() and not os.environ.get(_EDITABLE):
            requirements.append(f"visionbox-{name} @ {local.as_uri()}")
        else:
            requirements.append(f"visionbox-{name}=={VERSION}")
    return requirements
