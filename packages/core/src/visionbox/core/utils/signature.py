"""Signatures of constructors that forward ``**kwargs`` to their base (the OpenMMLab idiom)."""

from __future__ import annotations

import inspect
import typing

__all__ = ["merge_kwargs_signature"]


def merge_kwargs_signature(cls: type, fixed: tuple[str, ...] = ()) -> type:
    """Give ``cls.__init__(own args, **kwargs)`` the signature "own args + the base's args".

    A subclass that changes a few defaults and forwards ``**kwargs`` to its base then still
    reports a config's misspelt key at build time with the accepted names, and the base's type
    hints still check the values. Base arguments in ``fixed`` (set by the subclass itself) are
    left out.

    Returns:
        ``cls``, so that the function also serves as a class decorator.
    """
    init = cls.__dict__.get("__init__")
    if init is None:
        return cls
    own = inspect.signature(init)
    if not any(p.kind is p.VAR_KEYWORD for p in own.parameters.values()):
        return cls
    base_init = cls.__mro__[1].__init__
    base = inspect.signature(base_init)
    try:
        base_hints = typing.get_type_hints(base_init)
    except Exception:  # an unresolvable hint: the merged arguments go unchecked
        base_hints = {}
    params = [p for p in own.parameters.values() if p.kind is not p.VAR_KEYWORD]
    names = {p.name for p in params}
    annotations = dict(getattr(init, "__annotations__", {}))
    for p in base.parameters.values():
        if p.name in names or p.name in fixed or p.name == "self":
            continue
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            params.append(p.replace(kind=p.KEYWORD_ONLY))
            if p.name in base_hints:
                annotations[p.name] = base_hints[p.name]
        elif p.kind is p.VAR_KEYWORD:
            params.append(p)
    init.__signature__ = own.replace(parameters=params)
    init.__annotations__ = annotations
    return cls
