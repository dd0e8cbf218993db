"""PEP 517 build backend of this package: setuptools, with sibling requirements that suit both a
regular and an editable install (see ``../sibling_deps.py``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
try:
    from sibling_deps import (  # noqa: F401
        build_editable,
        build_sdist,
        build_wheel,
        get_requires_for_build_editable,
        get_requires_for_build_sdist,
        get_requires_for_build_wheel,
        prepare_metadata_for_build_editable,
        prepare_metadata_for_build_wheel,
    )
except ImportError:  # built outside the repository, e.g. from an sdist
    from setuptools.build_meta import *  # noqa: F403
