"""Build a sub-component from a config dict, or take an already built module."""

from __future__ import annotations

from typing import Any

from torch import nn

from ...registry import MODELS

__all__ = ["build_component"]


def build_component(cfg: dict | nn.Module, default_args: dict | None = None) -> nn.Module:
    """Return ``cfg`` if it is a module, else ``MODELS.build(cfg)`` in the current scope.

    Raises:
        TypeError: when ``cfg`` is neither a dict nor a module.
    """
    if isinstance(cfg, nn.Module):
        return cfg
    if not isinstance(cfg, dict):
        raise TypeError(
            f"Expected a config dict or an nn.Module, got {type(cfg).__name__}: {cfg!r}"
        )
    built: Any = MODELS.build(cfg, default_args=default_args)
    return built
