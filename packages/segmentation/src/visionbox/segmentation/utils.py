"""Helpers shared by the segmentation components."""

from __future__ import annotations

import inspect

__all__ = ["merge_kwargs_signature"]


def merge_kwargs_signature(cls: type, fixed: tuple[str, ...] = ()) -> None:
    """Give ``cls.__init__(own args, **kwargs)`` the signature "own args + the parent's args".

    Subclasses in the mmseg idiom forward ``**kwargs`` to their base; with the merged signature
    a config's misspelt key still fails at build time with the accepted names. Parent arguments
    in ``fixed`` (set by the subclass itself) are left out.
    """
    init = cls.__dict__.get("__init__")
    if init is None:
        return
    own = inspect.signature(init)
    if not any(p.kind is p.VAR_KEYWORD for p in own.parameters.values()):
        return
    base = inspect.signature(cls.__mro__[1].__init__)
    params = [p for p in own.parameters.values() if p.kind is not p.VAR_KEYWORD]
    names = {p.name for p in params}
    for p in base.parameters.values():
        if p.name in names or p.name in fixed or p.name == "self":
            continue
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            params.append(p.replace(kind=p.KEYWORD_ONLY))
        elif p.kind is p.VAR_KEYWORD:
            params.append(p)
    init.__signature__ = own.replace(parameters=params)
