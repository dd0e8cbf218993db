"""Build script of visionbox-pose: declares the VisionBox packages it needs."""

import sys
from pathlib import Path

from setuptools import setup

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
try:
    from sibling_deps import sibling_requirements
except ImportError:  # built outside the repository, e.g. from an sdist

    def sibling_requirements(*names):
        return [f"visionbox-{name}==0.1.0" for name in names]


setup(install_requires=sibling_requirements("core") + ["scipy>=1.10"])
