"""Checks of config values against a constructor's type hints and defaults.

Conservative by design: a value is rejected only when the hint (or, without a hint, the default)
says for sure that it is of the wrong kind. Rules:

* a dict with a ``type`` key is a sub-config and is never rejected for its kind;
* ``None`` is never rejected (many constructors treat it as "off");
* ``float`` accepts ``int``; ``int`` and ``float`` accept ``bool``; tuples and lists are
  interchangeable; ``Literal[...]`` accepts only its choices;
* a hint naming any other class (``nn.Module``, ``Callable``, a forward reference that cannot be
  resolved, ...) accepts anything;
* without a hint, an ``int``/``float``/``bool`` or tuple/list default rejects only a string.
"""

from __future__ import annotations

import collections.abc as cabc
import inspect
import sys
import types
import typing
from typing import Any, Literal, Union

import torch

from ..utils import did_you_mean

__all__ = ["param_hints", "check_value"]

_SEQUENCES = (list, tuple, cabc.Sequence, cabc.MutableSequence, cabc.Iterable, cabc.Collection)
_MAPPINGS = (dict, cabc.Mapping, cabc.MutableMapping)
_UNKNOWN = object()


def param_hints(obj: Any) -> dict[str, Any]:
    """Return ``{parameter: hint}`` of ``obj``'s constructor, unresolvable hints left out."""
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        return typing.get_type_hints(target)
    except Exception:
        pass
    raw = getattr(target, "__annotations__", None) or {}
    module = sys.modules.get(getattr(target, "__module__", ""), None)
    namespace = dict(vars(module)) if module is not None else {}
    hints = {}
    for name, hint in raw.items():
        probe = _probe_function()
        probe.__annotations__ = {name: hint}
        try:
            hints[name] = typing.get_type_hints(probe, globalns=namespace)[name]
        except Exception:
            continue
    return hints


def _probe_function() -> Any:
    def probe() -> None:
        return None

    return probe


def _kind_name(hint: Any) -> str:
    if hint is type(None):
        return "None"
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    base = origin or hint
    if base in _SEQUENCES:
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        inner = f" of {_kind_name(args[0])}" if len(set(args)) == 1 else ""
        return f"list/tuple{inner}"
    if base in _MAPPINGS:
        return "dict"
    return getattr(base, "__name__", str(base))


def _members(hint: Any) -> list[Any]:
    origin = typing.get_origin(hint)
    if origin is Union or (hasattr(types, "UnionType") and isinstance(hint, types.UnionType)):
        return [m for arg in typing.get_args(hint) for m in _members(arg)]
    return [hint]


def _matches(value: Any, hint: Any) -> Any:
    """True/False when ``hint`` decides about ``value``; ``_UNKNOWN`` when it cannot."""
    if hint is Any or hint is object or isinstance(hint, typing.TypeVar):
        return _UNKNOWN
    if hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin is Literal:
        return any(
            value == choice and type(value) is type(choice) for choice in typing.get_args(hint)
        )
    base = origin or hint
    if base is bool:
        return isinstance(value, (bool, int))
    if base is int:
        return isinstance(value, int)
    if base is float:
        return isinstance(value, (int, float))
    if base is str:
        return isinstance(value, str)
    if base in (list, tuple):
        if not isinstance(value, (list, tuple)):
            return False
        return _elements_match(value, hint)
    if base in _SEQUENCES:
        if isinstance(value, str):
            # A string is a sequence of strings: wrong only for a sequence of numbers.
            args = set(typing.get_args(hint)) - {Ellipsis}
            return False if args and args <= {int, float, bool} else _UNKNOWN
        if not isinstance(value, (list, tuple)):
            return False
        return _elements_match(value, hint)
    if base in _MAPPINGS:
        return isinstance(value, dict)
    if inspect.isclass(base) and issubclass(base, (torch.Tensor, torch.nn.Module)):
        # A module may come as a config dict; a number or a string is never a tensor or module.
        if isinstance(value, (str, int, float, list, tuple)):
            return isinstance(value, base)
        return _UNKNOWN
    return _UNKNOWN


def _elements_match(value: list | tuple, hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not Ellipsis]
    if len(set(args)) != 1 or args[0] not in (int, float, bool, str):
        return True
    results = [_matches(v, args[0]) for v in value if not _is_sub_config(v)]
    return all(r is not False for r in results)


def _is_sub_config(value: Any) -> bool:
    return isinstance(value, dict) and "type" in value


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def check_value(value: Any, hint: Any = inspect.Parameter.empty, default: Any = _UNKNOWN) -> str:
    """Return why ``value`` does not fit ``hint`` (or ``default``), or ``''`` when it may fit."""
    if value is None or _is_sub_config(value):
        return ""
    if hint is inspect.Parameter.empty:
        return _check_default(value, default)
    members = _members(hint)
    results = [_matches(value, m) for m in members]
    if any(r is _UNKNOWN or r is True for r in results):
        return ""
    expected = " or ".join(_kind_name(m) for m in members)
    message = f"expected {expected}, got {_describe(value)}"
    if isinstance(value, str):
        choices = [
            a for m in members if typing.get_origin(m) is Literal for a in typing.get_args(m)
        ]
        suggestion = did_you_mean(value, [c for c in choices if isinstance(c, str)])
        if suggestion:
            message += "." + suggestion
    return message


def _check_default(value: Any, default: Any) -> str:
    if default is _UNKNOWN or default is inspect.Parameter.empty or default is None:
        return ""
    if isinstance(default, (bool, int, float)) and isinstance(value, str):
        kind = type(default).__name__
        return f"expected {kind} (the default is {default!r}), got {_describe(value)}"
    if isinstance(default, (list, tuple)) and isinstance(value, str):
        return f"expected list/tuple (the default is {default!r}), got {_describe(value)}"
    return ""
