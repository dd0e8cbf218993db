"""Checks of one ``dict(type=..., **kwargs)`` against the registry before it is built.

An unknown ``type`` fails with the closest registered names; an unknown keyword fails with the
class, the key, the accepted parameters and a "did you mean".
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from .suggest import did_you_mean

__all__ = ["visible_names", "accepted_params", "check_type_name", "check_kwargs"]

_RESERVED_KEYS = ("type", "_scope_")


def visible_names(registry: Any) -> list[str]:
    """Names that ``registry.get`` can resolve without a scope prefix (itself and its ancestors)."""
    names: set[str] = set()
    node = registry
    while node is not None:
        node.import_from_location()
        names.update(node.module_dict)
        node = node.parent
    return sorted(names)


def accepted_params(obj: Any) -> tuple[list[str] | None, Any]:
    """Return the keyword names ``obj`` accepts, or ``None`` when it takes ``**kwargs``.

    The second item is the signature (for type checks), or ``None`` when it cannot be read.
    """
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None, None
    names = []
    for param in signature.parameters.values():
        if param.kind is param.VAR_KEYWORD:
            return None, signature
        if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY) and param.name != "self":
            names.append(param.name)
    return names, signature


def check_type_name(type_name: str, found: Any, registry: Any, where: str = "") -> None:
    """Raise ``KeyError`` naming the closest registered types when ``found`` is ``None``."""
    if found is not None:
        return
    location = f" (at {where})" if where else ""
    names = visible_names(registry)
    short = type_name.split(".", 1)[-1]
    raise KeyError(
        f"Unknown {registry.name} type {type_name!r}{location}: it is not registered in the "
        f"'{registry.scope}' {registry.name} registry or its parents.{did_you_mean(short, names)} "
        "A class of your own must be registered with @<REGISTRY>.register_module() and imported, "
        "e.g. through custom_imports=dict(imports=['my_module'])."
    )


def check_kwargs(obj: Any, keys: Iterable[str], extra: Iterable[str] = (), where: str = "") -> None:
    """Raise ``TypeError`` when a key in ``keys`` is not a parameter of ``obj``.

    Args:
        obj: The registered class or function.
        keys: The keys of the config dict (``type`` and ``_scope_`` are skipped).
        extra: Keyword names that the builder passes itself (``default_args``).
        where: The key path of the config dict, for the message.
    """
    params, _ = accepted_params(obj)
    if params is None:
        return
    allowed = set(params) | set(extra)
    unknown = [k for k in keys if k not in _RESERVED_KEYS and k not in allowed]
    if not unknown:
        return
    name = getattr(obj, "__name__", repr(obj))
    location = f" (at {where})" if where else ""
    key = unknown[0]
    names = [*params, *(k for k in extra if k not in params)]
    raise TypeError(
        f"{name} got an unexpected keyword {key!r}{location}.{did_you_mean(key, names)} "
        f"{name} accepts: {', '.join(names) if names else 'no keywords'}."
    )
