"""``scope::relative/path.py`` references to the configs shipped inside VisionBox packages.

A config may inherit from a config of another installed VisionBox package::

    _base_ = 'detection::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'

resolves to ``<visionbox.detection>/configs/faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py`` of the
installed package (found with :func:`importlib.util.find_spec`, so editable and regular installs
both work). The bases of that file are relative to it, as usual. A base of an OpenMMLab toolbox
(``'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'``) is the VisionBox package's config of the
same relative path (see :mod:`.openmmlab`).

mmengine resolves every ``_base_`` entry through ``mmengine.config.Config._get_cfg_path``;
:func:`visionbox_scopes` installs a resolver there for the duration of a load, which answers for
VisionBox scopes and hands every other path to mmengine's own resolver.
"""

from __future__ import annotations

import importlib.util
import os
import os.path as osp
import threading
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

from mmengine.config import config as _mm_config
from mmengine.config.utils import MODULE2PACKAGE

from ..registry import VISIONBOX_SCOPES, ScopeNotInstalledError
from ..utils import did_you_mean, suggest

__all__ = [
    "CONFIG_SUFFIXES",
    "OPENMMLAB_SCOPES",
    "config_root",
    "resolve_scoped_path",
    "visionbox_scopes",
]

#: File endings of config files.
CONFIG_SUFFIXES = (".py", ".yaml", ".yml", ".json")

#: The OpenMMLab scopes and the VisionBox scope that replaces each one.
OPENMMLAB_SCOPES = {
    "mmdet": "detection",
    "mmseg": "segmentation",
    "mmpose": "pose",
    "mmtrack": "tracking",
}


def config_root(scope: str) -> Path:
    """Return the ``configs`` folder shipped inside the installed package ``visionbox.<scope>``.

    Raises:
        ScopeNotInstalledError: when ``visionbox.<scope>`` is not installed; the message names the
            distribution to install.
    """
    try:
        spec = importlib.util.find_spec(f"visionbox.{scope}")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ScopeNotInstalledError(
            f"The config scope '{scope}::' belongs to the package visionbox-{scope}, which is not "
            f"installed: pip install visionbox-{scope} (or ./packages/{scope} from the repository)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "configs"


def _is_visionbox_scope(scope: str) -> bool:
    if scope in VISIONBOX_SCOPES:
        return True
    if not scope.isidentifier():
        return False
    try:
        return importlib.util.find_spec(f"visionbox.{scope}") is not None
    except (ImportError, ValueError):
        return False


def _shipped_configs(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.suffix in CONFIG_SUFFIXES and p.is_file()
    )


def config_path(config: str | os.PathLike) -> str:
    """A config file path, or the file of a shipped config's ``'scope::relative/path.py'``.

    Raises:
        FileNotFoundError: naming a path that is not a file (see :func:`resolve_scoped_path`
            for the errors of a reference).
    """
    path = os.fspath(config)
    if "::" in path:
        return str(resolve_scoped_path(path))
    if not osp.isfile(path):
        raise FileNotFoundError(f"Config file not found: {path}")
    return path


def resolve_scoped_path(reference: str) -> Path:
    """Return the file that ``'<scope>::<relative path>'`` names.

    Raises:
        ValueError: for a malformed reference or a scope that no VisionBox package has.
        ScopeNotInstalledError: when the scope's package is not installed.
        FileNotFoundError: naming the path searched and the closest shipped configs.
    """
    scope, sep, relative = reference.partition("::")
    if not sep or not scope or not relative:
        raise ValueError(f"Expected '<scope>::<relative path>', got {reference!r}.")
    if not _is_visionbox_scope(scope):
        hint = (
            f" VisionBox ships that toolbox's configs under '{OPENMMLAB_SCOPES[scope]}::'."
            if scope in OPENMMLAB_SCOPES
            else did_you_mean(scope, VISIONBOX_SCOPES)
        )
        raise ValueError(
            f"Unknown config scope '{scope}::' in {reference!r}: VisionBox packages have the "
            f"scopes {', '.join(VISIONBOX_SCOPES)}.{hint}"
        )
    root = config_root(scope)
    path = root / relative
    if path.is_file():
        return path
    shipped = _shipped_configs(root)
    close = suggest(relative, shipped, n=3, cutoff=0.5)
    if not close:
        name = Path(relative).name
        close = [
            s for s in shipped if Path(s).name in suggest(name, [Path(x).name for x in shipped])
        ]
    listing = (
        " Closest shipped configs: " + ", ".join(f"'{scope}::{c}'" for c in close[:3]) + "."
        if close
        else f" The package ships {len(shipped)} config files there."
    )
    raise FileNotFoundError(
        f"Config {reference!r} not found: searched {path} (the configs of visionbox-{scope})."
        + listing
    )


_original_get_cfg_path = _mm_config.Config._get_cfg_path
_lock = threading.RLock()
_depth = 0
_mapped_bases: list[str] | None = None  # the OpenMMLab scopes of the bases of the current load


def _get_cfg_path(cfg_path: str, filename: str) -> tuple[str, str | None]:
    """mmengine's ``_get_cfg_path`` contract: return the base's path and its scope."""
    scope = cfg_path.partition("::")[0] if "::" in cfg_path else None
    if scope in OPENMMLAB_SCOPES and not _is_visionbox_scope(scope):
        # 'mmdet::x.py' inherits the config that visionbox-detection ships as 'detection::x.py'.
        ours = OPENMMLAB_SCOPES[scope]
        if _mapped_bases is not None:
            _mapped_bases.append(scope)
        return osp.abspath(resolve_scoped_path(f"{ours}::{cfg_path.partition('::')[2]}")), ours
    if scope is None or (scope in MODULE2PACKAGE and not _is_visionbox_scope(scope)):
        return _original_get_cfg_path(cfg_path, filename)
    return osp.abspath(resolve_scoped_path(cfg_path)), scope


@contextmanager
def visionbox_scopes() -> Generator[list[str], None, None]:
    """Let mmengine's config loader resolve ``scope::path`` bases of VisionBox packages.

    Re-entrant and thread-safe; other scopes and relative paths behave as in mmengine. Bases of
    the OpenMMLab toolboxes (``'mmdet::x.py'``) are the VisionBox package's shipped config of
    the same path (``'detection::x.py'``).

    Yields:
        The OpenMMLab scopes of the bases read so far, one entry per mapped base.
    """
    global _depth, _mapped_bases
    with _lock:
        if _depth == 0:
            _mm_config.Config._get_cfg_path = staticmethod(_get_cfg_path)
            _mapped_bases = []
        _depth += 1
        try:
            yield _mapped_bases
        finally:
            _depth -= 1
            if _depth == 0:
                _mm_config.Config._get_cfg_path = staticmethod(_original_get_cfg_path)
                _mapped_bases = None
