"""Configs written for the OpenMMLab 3.x toolboxes, read as VisionBox configs.

A config of mmdetection, mmsegmentation, mmpose or mmtracking names its toolbox in a few places;
each is read as the VisionBox scope of the same components (:data:`PEER_SCOPES`):

* ``default_scope = 'mmdet'`` and ``_scope_='mmdet'`` become ``'detection'``;
* ``type='mmdet.FasterRCNN'`` becomes ``'detection.FasterRCNN'``, and the backbones of
  mmpretrain / mmcls (``type='mmpretrain.ResNet'``) are core's (``'core.ResNet'``);
* ``_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'`` inherits the config that
  ``visionbox-detection`` ships under the same relative path (see :mod:`.scoped`);
* ``custom_imports=dict(imports=['mmdet.models'])`` imports ``visionbox.detection.models`` (or
  ``visionbox.core.models`` for a component that lives in core).

The translation is a rewrite of the loaded config dict, logged in one info line; nothing is
registered in, or patched into, mmengine. A name VisionBox does not have fails where it is
resolved: a type in validation and build (with the closest registered names), a module of
``custom_imports`` here (with the closest VisionBox modules).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from pathlib import Path
from typing import Any

from mmengine.logging import print_log

from ..utils import UserError, suggest

__all__ = [
    "PEER_SCOPES",
    "CustomImportError",
    "import_custom_modules",
    "log_translation",
    "translate_openmmlab",
]

#: The OpenMMLab scopes and the VisionBox scope whose registries hold the same components.
PEER_SCOPES = {
    "mmdet": "detection",
    "mmseg": "segmentation",
    "mmpose": "pose",
    "mmtrack": "tracking",
    "mmpretrain": "core",
    "mmcls": "core",
}


class CustomImportError(UserError, ImportError):
    """A module named in ``custom_imports`` is missing, or fails while it is imported."""


def _map_type(type_name: str) -> str:
    scope, dot, name = type_name.partition(".")
    if dot and scope in PEER_SCOPES and name:
        return f"{PEER_SCOPES[scope]}.{name}"
    return type_name


def _translate(value: Any, used: set[str]) -> None:
    """Rewrite ``type`` prefixes and ``_scope_`` values in place, recording the peer scopes."""
    if isinstance(value, (list, tuple)):
        for item in value:
            _translate(item, used)
        return
    if not isinstance(value, dict):
        return
    for key, child in list(value.items()):
        if key == "type" and isinstance(child, str) and _map_type(child) != child:
            used.add(child.partition(".")[0])
            value[key] = _map_type(child)
        elif key == "_scope_" and child in PEER_SCOPES:
            used.add(child)
            value[key] = PEER_SCOPES[child]
        else:
            _translate(child, used)


def _visionbox_module(module: str) -> str:
    """The VisionBox module that stands for the OpenMMLab module ``module`` (else ``module``).

    ``mmdet.models.losses`` is ``visionbox.detection.models.losses`` when that exists, else
    ``visionbox.core.models.losses`` (shared components live in core).

    Raises:
        CustomImportError: naming the closest VisionBox modules when neither exists.
    """
    scope, dot, rest = module.partition(".")
    if scope not in PEER_SCOPES:
        return module
    tried = [f"visionbox.{PEER_SCOPES[scope]}"] + (["visionbox.core"] if scope != "core" else [])
    candidates = [f"{root}.{rest}" if dot else root for root in dict.fromkeys(tried)]
    for candidate in candidates:
        if _module_exists(candidate):
            return candidate
    known = [m for root in dict.fromkeys(tried) for m in _modules_under(root)]
    close = suggest(candidates[0], known, n=3, cutoff=0.5)
    hint = f" Closest VisionBox modules: {', '.join(close)}." if close else ""
    raise CustomImportError(
        f"custom_imports names {module!r}, read as {' or '.join(map(repr, candidates))}, which "
        f"VisionBox does not have.{hint}"
    )


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _modules_under(package: str) -> list[str]:
    """Dotted names of the modules in ``package``'s folder (read from disk, nothing imported)."""
    spec = importlib.util.find_spec(package) if _module_exists(package) else None
    if spec is None or not spec.submodule_search_locations:
        return []
    root = Path(next(iter(spec.submodule_search_locations)))
    names = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join((package, *parts)))
    return names


def translate_openmmlab(cfg: dict) -> list[str]:
    """Read the OpenMMLab scopes of ``cfg`` (a config dict) as VisionBox's, in place.

    Returns:
        One ``'mmdet -> detection'`` entry per peer scope that was mapped (empty: nothing to do).

    Raises:
        CustomImportError: when ``custom_imports`` names an OpenMMLab module VisionBox lacks.
    """
    used: set[str] = set()
    scope = cfg.get("default_scope")
    if isinstance(scope, str) and scope in PEER_SCOPES:
        used.add(scope)
        cfg["default_scope"] = PEER_SCOPES[scope]
    for key, value in list(cfg.items()):
        if key != "custom_imports":
            _translate(value, used)
    imports = cfg.get("custom_imports")
    if isinstance(imports, dict) and imports.get("imports"):
        names = imports["imports"]
        names = [names] if isinstance(names, str) else list(names)
        mapped = [_visionbox_module(n) if isinstance(n, str) else n for n in names]
        for old, new in zip(names, mapped):
            if old != new:
                used.add(old.partition(".")[0])
        if mapped != names:
            imports["imports"] = mapped
    return [f"{peer} -> {PEER_SCOPES[peer]}" for peer in sorted(used)]


def log_translation(mapped: list[str], filename: str | None) -> None:
    """The one info line of a config that was written for the OpenMMLab toolboxes."""
    if mapped:
        where = f" {filename}" if filename else ""
        print_log(
            f"OpenMMLab config{where}: scopes read as VisionBox's ({', '.join(mapped)}).",
            logger="current",
        )


def import_custom_modules(custom_imports: dict) -> None:
    """Import ``custom_imports['imports']``, as mmengine does, with errors that name the cause.

    A module that is not found fails with the ``sys.path`` searched (or, with
    ``allow_failed_imports=True``, is skipped with a warning as in mmengine). A module that exists
    but fails while importing always fails with its own error and the file and line that raised
    it: ``allow_failed_imports`` is for absent modules, not broken ones.

    Raises:
        CustomImportError: as above, chained to the original exception.
    """
    names = custom_imports.get("imports") or []
    names = [names] if isinstance(names, str) else list(names)
    allow_failed = bool(custom_imports.get("allow_failed_imports", False))
    for name in names:
        if not isinstance(name, str):
            raise CustomImportError(f"custom_imports: module names must be strings, got {name!r}")
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name is None or not _is_prefix(err.name, name):
                raise CustomImportError(_inner_failure(name, err)) from err
            if allow_failed:
                print_log(
                    f"custom_imports: module {name!r} not found; skipped.", level=logging.WARNING
                )
                continue
            raise CustomImportError(
                f"custom_imports: module {name!r} not found ({err}). Searched sys.path: "
                f"{', '.join(sys.path)}. Install it or add its folder to PYTHONPATH."
            ) from err
        except Exception as err:
            raise CustomImportError(_inner_failure(name, err)) from err


def _is_prefix(missing: str, name: str) -> bool:
    """Whether the missing module is ``name`` itself or one of its parent packages."""
    return name == missing or name.startswith(missing + ".")


def _inner_failure(name: str, err: BaseException) -> str:
    return f"custom_imports: importing {name!r} failed: {raising_site(err)}"


def raising_site(err: BaseException) -> str:
    """``'ImportError: msg (raised in /path/file.py, line 3)'``: an error and where it was raised.

    The innermost frame of the traceback that is not in importlib's machinery is the user's line.
    """
    frame = None
    tb = err.__traceback__
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith("<frozen importlib"):
            frame = tb
        tb = tb.tb_next
    where = (
        f" (raised in {frame.tb_frame.f_code.co_filename}, line {frame.tb_lineno})"
        if frame is not None
        else ""
    )
    return f"{type(err).__name__}: {err}{where}"
