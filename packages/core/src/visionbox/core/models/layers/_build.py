"""Resolution of layer ``type`` names through the current scope's MODELS registry."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from ...registry import MODELS
from ...utils import check_kwargs, did_you_mean

__all__ = ["resolve_layer_type", "build_from_registry"]


def resolve_layer_type(cfg: Any, kind: str, known: Sequence[str]) -> tuple[Any, str, dict]:
    """Return ``(class, type name, remaining args)`` for a layer config.

    Args:
        cfg: ``dict(type=..., **args)``; ``type`` is a registered name or a class.
        kind: The layer family, for messages ("norm", "conv", ...).
        known: The built-in type names of that family, named when the type is unknown.

    Raises:
        TypeError: when ``cfg`` is not a dict.
        KeyError: when ``type`` is missing or not registered.
    """
    if not isinstance(cfg, dict):
        raise TypeError(f"A {kind} layer config must be a dict, got {type(cfg).__name__}: {cfg!r}")
    if "type" not in cfg:
        raise KeyError(f"A {kind} layer config needs a 'type' key, got {cfg!r}")
    args = dict(cfg)
    layer_type = args.pop("type")
    if inspect.isclass(layer_type):
        return layer_type, layer_type.__name__, args
    with MODELS.switch_scope_and_registry(None) as registry:
        layer_cls = registry.get(layer_type)
    if layer_cls is None:
        raise KeyError(
            f"Unknown {kind} layer type {layer_type!r}.{did_you_mean(layer_type, known)} "
            f"Valid {kind} types: {', '.join(known)} (or any layer registered in MODELS)."
        )
    return layer_cls, layer_type, args


def build_from_registry(cfg: Any, kind: str, known: Sequence[str], *args: Any, **kwargs: Any):
    """Build a layer: ``cls(*args, **kwargs, **cfg_args)`` with the keys checked first."""
    layer_cls, _, cfg_args = resolve_layer_type(cfg, kind, known)
    check_kwargs(layer_cls, cfg_args.keys(), extra=kwargs.keys(), where=f"{kind} layer")
    return layer_cls(*args, **kwargs, **cfg_args)
