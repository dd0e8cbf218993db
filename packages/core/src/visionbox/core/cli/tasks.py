"""Which task a config belongs to, and that task's tools, imported only when asked for.

The task of a config is, in order: its ``default_scope`` (after ``_base_`` inheritance), the
``scope::`` of the configs it inherits from, the package whose ``configs/`` folder holds it, and
the task package that registers its ``model.type``. Only the task package that owns the config
is imported, so ``visionbox`` works with any subset of the VisionBox packages installed.
"""

from __future__ import annotations

import importlib
import os
import os.path as osp
import re
from pathlib import Path
from typing import Any

from ..config import Config, config_path, config_root
from ..registry import INFERENCERS, VISIONBOX_SCOPES, ScopeNotInstalledError, import_scope
from ..utils.errors import UserError

__all__ = [
    "TASKS",
    "CommandError",
    "TaskNotFoundError",
    "config_path",
    "find_task",
    "inferencer_class",
    "list_configs",
]

#: The task scopes (``core`` holds no model of its own).
TASKS = tuple(s for s in VISIONBOX_SCOPES if s != "core")
#: The Inferencer of each task, by its registered name.
_INFERENCERS = {
    "detection": "DetInferencer",
    "segmentation": "SegInferencer",
    "pose": "PoseInferencer",
    "tracking": "MOTInferencer",
}
_SCOPED_BASE = re.compile(r"""["']([a-z_]+)::""")


class TaskNotFoundError(UserError):
    """No VisionBox task owns a config."""


class CommandError(UserError, ValueError):
    """Arguments of a ``visionbox`` command that do not go together."""


def _scope_from_bases(path: str) -> str | None:
    text = Path(path).read_text(errors="replace")
    for scope in _SCOPED_BASE.findall(text):
        if scope in TASKS:
            return scope
    return None


def _scope_from_location(path: str) -> str | None:
    parts = Path(osp.abspath(path)).parts
    for i in range(len(parts) - 2):
        if parts[i] == "visionbox" and parts[i + 1] in TASKS and parts[i + 2] == "configs":
            return parts[i + 1]
    return None


def _scope_from_model_type(cfg: Config) -> str | None:
    model = cfg.get("model")
    kind = model.get("type") if isinstance(model, dict) else None
    if not isinstance(kind, str):
        return None
    if "." in kind and kind.split(".", 1)[0] in TASKS:
        return kind.split(".", 1)[0]
    for scope in TASKS:
        try:
            import_scope(scope)
        except ScopeNotInstalledError:
            continue
        registry = importlib.import_module(f"visionbox.{scope}.registry")
        if registry.MODELS.get(kind) is not None:
            return scope
    return None


def find_task(config: str | Config) -> str:
    """The task (scope) that owns ``config``; see the module docstring for the order.

    Raises:
        TaskNotFoundError: when nothing names a task; the message says how to name one.
    """
    cfg = config if isinstance(config, Config) else Config.fromfile(config_path(config))
    path = cfg.filename or ""
    scope = cfg.get("default_scope")
    if scope in TASKS:
        return scope
    for guess in (_scope_from_bases, _scope_from_location):
        scope = guess(path) if path and osp.isfile(path) else None
        if scope is not None:
            return scope
    scope = _scope_from_model_type(cfg)
    if scope is not None:
        return scope
    raise TaskNotFoundError(
        f"Cannot tell which task the config {path or '<Config>'} is for: it sets no "
        f"default_scope and inherits no 'scope::' config. Add default_scope = '<task>' with a "
        f"task of {', '.join(TASKS)}."
    )


def _is_sot(cfg: Config) -> bool:
    from visionbox.tracking.registry import MODELS  # only for tracking configs

    model_cls = MODELS.get(cfg.model.get("type", ""))
    return model_cls is not None and ".sot." in f"{model_cls.__module__}."


def inferencer_class(task: str, cfg: Config | None = None) -> Any:
    """The Inferencer class of ``task`` (``SOTInferencer`` for a single-object tracker)."""
    if task not in _INFERENCERS:
        raise TaskNotFoundError(f"No Inferencer for the task {task!r}; tasks: {', '.join(TASKS)}.")
    import_scope(task)
    name = _INFERENCERS[task]
    if task == "tracking" and cfg is not None and _is_sot(cfg):
        name = "SOTInferencer"
    with INFERENCERS.switch_scope_and_registry(task) as registry:
        found = registry.get(name)
    if found is None:
        raise TaskNotFoundError(f"The {task} package registers no {name}.")
    return found


def list_configs(task: str | None = None) -> list[str]:
    """``'scope::relative/path.py'`` of every shipped config (``_base_`` excluded), sorted.

    Args:
        task: One task, or ``None`` for every installed task.
    """
    if task is not None and task not in TASKS:
        from ..utils import did_you_mean

        raise TaskNotFoundError(
            f"Unknown task {task!r}; choose from {', '.join(TASKS)}.{did_you_mean(task, TASKS)}"
        )
    found = []
    for scope in [task] if task else TASKS:
        try:
            root = config_root(scope)
        except ScopeNotInstalledError:
            if task is not None:
                raise
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in ("_base_", "__pycache__"))
            for name in files:
                if name.endswith(".py") and name != "__init__.py":
                    relative = osp.relpath(osp.join(folder, name), root).replace(os.sep, "/")
                    found.append(f"{scope}::{relative}")
    return sorted(found)
