"""Build a sub-component through the detection registry (which also finds core's components)."""

from __future__ import annotations

from torch import nn

from ..registry import MODELS

__all__ = ["build_module"]


def build_module(cfg: dict | nn.Module, default_args: dict | None = None) -> nn.Module:
    """Return ``cfg`` if it is a module, else build it with ``visionbox.detection``'s ``MODELS``.

    The detection registry resolves its own types and, through its parents, core's and
    mmengine's, whatever the current default scope is.

    Raises:
        TypeError: when ``cfg`` is neither a dict nor a module.
    """
    if isinstance(cfg, nn.Module):
        return cfg
    if not isinstance(cfg, dict):
        raise TypeError(
            f"Expected a config dict or an nn.Module, got {type(cfg).__name__}: {cfg!r}"
        )
    return MODELS.build(cfg, default_args=default_args)
