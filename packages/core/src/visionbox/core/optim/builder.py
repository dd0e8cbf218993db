"""Build an optimizer wrapper from a config with VisionBox's registries in scope."""

from __future__ import annotations

import inspect
from typing import Any

from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.optim import build_optim_wrapper as mmengine_build_optim_wrapper
from mmengine.registry import DefaultScope
from torch import nn

from ..registry import (
    OPTIM_WRAPPER_CONSTRUCTORS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
    VISIONBOX_SCOPES,
    import_scope,
)
from ..utils import check_kwargs, check_type_name

__all__ = ["build_optim_wrapper", "check_optim_wrapper_cfg"]

_DEFAULT_CONSTRUCTOR = "DefaultOptimWrapperConstructor"
# Keys of an optim_wrapper config that the constructor consumes, not the wrapper class.
_CONSTRUCTOR_KEYS = ("type", "optimizer", "constructor", "paramwise_cfg")


def _resolve(registry: Any, type_name: str, where: str) -> Any:
    with registry.switch_scope_and_registry(None) as scoped:
        found = scoped.get(type_name)
        check_type_name(type_name, found, scoped, where)
    return found


def check_optim_wrapper_cfg(cfg: dict) -> None:
    """Check the types and keywords of an ``optim_wrapper`` config in the active scope.

    mmengine's builder fails on a misspelt optimizer type with an unrelated ``TypeError``; this
    check names the key, the closest registered types and, for a bad keyword, the accepted ones.
    Configs of several optimizers (no top-level ``optimizer``) are checked as far as the
    constructor.

    Raises:
        KeyError: An unknown constructor, optimizer or wrapper type ("did you mean").
        TypeError: An unknown keyword of the optimizer or the wrapper.
    """
    constructor = cfg.get("constructor", _DEFAULT_CONSTRUCTOR)
    if isinstance(constructor, str):
        _resolve(OPTIM_WRAPPER_CONSTRUCTORS, constructor, "optim_wrapper.constructor")
    optimizer = cfg.get("optimizer")
    if not isinstance(optimizer, dict) or not isinstance(optimizer.get("type"), str):
        return
    optimizer_cls = _resolve(OPTIMIZERS, optimizer["type"], "optim_wrapper.optimizer.type")
    first_arg = next(iter(inspect.signature(optimizer_cls).parameters))
    check_kwargs(optimizer_cls, optimizer.keys(), (first_arg,), "optim_wrapper.optimizer")
    wrapper = cfg.get("type", "OptimWrapper")
    if isinstance(wrapper, str):
        wrapper_cls = _resolve(OPTIM_WRAPPERS, wrapper, "optim_wrapper.type")
        keys = [k for k in cfg if k not in _CONSTRUCTOR_KEYS]
        check_kwargs(wrapper_cls, keys, ("optimizer",), "optim_wrapper")


def build_optim_wrapper(
    model: nn.Module, cfg: dict, default_scope: str | None = None
) -> OptimWrapper | OptimWrapperDict:
    """Check and build ``cfg`` (an ``optim_wrapper`` config) for ``model``.

    mmengine's builder looks types up in its root registries, which reach VisionBox's child
    registries only through the default scope. A runner sets that scope for its own builds; this
    function uses ``default_scope`` when given, else the active scope, else ``'core'``, so that
    constructors and optimizers registered in core's or a task's registries are found.

    Args:
        model: The model whose parameters are optimized.
        cfg: ``dict(type='OptimWrapper', optimizer=dict(type=...), constructor=...,
            paramwise_cfg=...)``.
        default_scope: The scope to build in (``'core'`` or a task's scope).
    """
    if default_scope is None:
        current = DefaultScope.get_current_instance()
        default_scope = "core" if current is None else current.scope_name
    if default_scope in VISIONBOX_SCOPES:
        import_scope(default_scope)
    with DefaultScope.overwrite_default_scope(default_scope):
        check_optim_wrapper_cfg(cfg)
        return mmengine_build_optim_wrapper(model, cfg)
