"""Build sub-modules in the pose scope, whatever the caller's default scope is."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

from mmengine.registry import DefaultScope
from torch import nn

from ..registry import MODELS

__all__ = ["build_module", "pose_scope"]


@contextmanager
def pose_scope() -> Generator[None, None, None]:
    """Make 'pose' the default scope unless a VisionBox task scope other than core is active
    (so that core's builders resolve pose's names, e.g. ``ResNet`` with mmpose's defaults)."""
    current = DefaultScope.get_current_instance()
    if current is not None and current.scope_name not in (None, "core", "mmengine"):
        yield
        return
    with DefaultScope.overwrite_default_scope("pose"):
        yield


def build_module(cfg: dict | nn.Module) -> Any:
    """Return ``cfg`` if it is a module, else build it with the pose ``MODELS`` registry.

    Raises:
        TypeError: when ``cfg`` is neither a dict nor a module.
    """
    if isinstance(cfg, nn.Module):
        return cfg
    if not isinstance(cfg, dict):
        raise TypeError(
            f"Expected a config dict or an nn.Module, got {type(cfg).__name__}: {cfg!r}"
        )
    with pose_scope():
        return MODELS.build(dict(cfg))
