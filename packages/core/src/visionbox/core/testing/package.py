"""Checks that every VisionBox task package passes: it imports, owns its registries and depends on
core (and, for tracking, detection) only."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

from visionbox.core import registry as core_registry

__all__ = [
    "ALLOWED_DEPENDENCIES",
    "check_task_package",
    "import_all_modules",
    "imported_visionbox_packages",
]

#: The VisionBox packages each package may import (the dependency direction of the architecture).
ALLOWED_DEPENDENCIES = {
    "core": set(),
    "detection": {"core"},
    "segmentation": {"core"},
    "pose": {"core"},
    "tracking": {"core", "detection"},
}

_REGISTRY_NAMES = (
    "MODELS",
    "DATASETS",
    "TRANSFORMS",
    "METRICS",
    "TASK_UTILS",
    "HOOKS",
    "VISUALIZERS",
)


def import_all_modules(package_name: str) -> list[str]:
    """Import ``package_name`` and every module below it; return the module names."""
    package = importlib.import_module(package_name)
    names = [package_name]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
        if ".configs" in info.name:
            continue  # config files are read by the config system, never imported
        importlib.import_module(info.name)
        names.append(info.name)
    return names


def check_task_package(scope: str) -> None:
    """Assert that ``visionbox.<scope>`` imports cleanly and owns child registries of core's.

    Raises:
        AssertionError: with the offending registry or imported package.
    """
    import_all_modules(f"visionbox.{scope}")
    registry = importlib.import_module(f"visionbox.{scope}.registry")
    for name in _REGISTRY_NAMES:
        child = getattr(registry, name)
        parent = getattr(core_registry, name)
        assert child.scope == scope, f"visionbox.{scope}.registry.{name} has scope {child.scope!r}"
        assert child.parent is parent, f"visionbox.{scope}.registry.{name} is not a child of core's"
    assert registry.BACKBONES is registry.MODELS
    assert registry.OPTIMIZER_BUILDERS is registry.OPTIM_WRAPPER_CONSTRUCTORS
    imported = imported_visionbox_packages(scope)
    allowed = ALLOWED_DEPENDENCIES[scope] | {scope}
    assert imported <= allowed, (
        f"visionbox.{scope} imports {sorted(imported - allowed)}, which it must not depend on"
    )


def imported_visionbox_packages(scope: str) -> set[str]:
    """Import all of ``visionbox.<scope>`` in a fresh interpreter; return the VisionBox packages
    (``'core'``, ``'detection'``, ...) that this pulled in."""
    code = (
        "import sys\n"
        "from visionbox.core.testing.package import import_all_modules\n"
        f"import_all_modules('visionbox.{scope}')\n"
        "print(' '.join(sorted({n.split('.')[1] for n in sys.modules if n.count('.') >= 1 "
        "and n.startswith('visionbox.')})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, f"importing visionbox.{scope} failed:\n{result.stderr}"
    return set(result.stdout.split())
