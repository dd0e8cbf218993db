"""Checkpoint loading with ``weights_only=True`` and VisionBox's allow-list.

The allow-list (:data:`SAFE_GLOBAL_NAMES`: mmengine's ``HistoryBuffer`` and ``ConfigDict``,
NumPy arrays, dtypes and scalars, a restricted ``getattr``) lives in
:mod:`visionbox.core.checkpoint_globals`, which also explains how it reaches loaders other than
VisionBox's. A file that needs anything else is refused with :class:`UnsafeCheckpointError`
naming the global; it is never loaded with an unrestricted unpickler.

Two mechanisms, one list:

* torch >= 2.6: ``torch.load(weights_only=True)`` inside ``torch.serialization.safe_globals``;
  entries are ``(object, 'module.name')`` pairs, so NumPy 1 and NumPy 2 names both resolve.
* older torch (2.1 - 2.5, whose weights-only unpickler cannot be extended by name):
  ``torch.load(pickle_module=restricted_pickle_module())``, a ``pickle.Unpickler`` whose
  ``find_class`` returns only allowed globals. It works on every torch and is tested directly.
"""

from __future__ import annotations

import _compat_pickle
import io
import os
import pickle
import re
import types
from collections.abc import Callable
from typing import IO, Any

import torch

from .. import checkpoint_globals
from ..checkpoint_globals import (
    SAFE_GLOBAL_NAMES,
    UnsafeCheckpointError,
    add_safe_globals,
    checkpoint_getattr,
    safe_globals,
)

__all__ = [
    "SAFE_GLOBAL_NAMES",
    "UnsafeCheckpointError",
    "add_safe_globals",
    "checkpoint_getattr",
    "safe_globals",
    "restricted_pickle_module",
    "safe_torch_load",
    "uses_torch_weights_only",
]

# How torch's weights-only unpickler and our own refusals name a global in their messages.
_GLOBAL_IN_MESSAGE = re.compile(r"GLOBAL ([\w.]+)|it needs '([^']+)'")


def uses_torch_weights_only() -> bool:
    """Whether this torch can extend ``weights_only=True`` by name (torch >= 2.6)."""
    return checkpoint_globals.uses_torch_weights_only()


def _torch_default_globals() -> dict[str, Any]:
    """PyTorch's own weights-only allow-list (tensors, storages, dtypes, containers)."""
    try:
        from torch._weights_only_unpickler import _get_allowed_globals
    except ImportError:  # pragma: no cover - every torch >= 1.13 has it
        return {}
    return dict(_get_allowed_globals())


class _RestrictedUnpickler(pickle.Unpickler):
    """A ``pickle.Unpickler`` that resolves only allowed globals."""

    def __init__(self, file: IO[bytes], **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self._allowed = _allowed_table()

    def find_class(self, module: str, name: str) -> Any:
        # Protocol 2 pickles (torch's default) use Python 2 names such as '__builtin__'.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        qualified = f"{module}.{name}"
        if qualified in self._allowed:
            return self._allowed[qualified]
        raise UnsafeCheckpointError([qualified])


def _allowed_table() -> dict[str, Any]:
    return {**_torch_default_globals(), **safe_globals()}


def _restricted_load(file: IO[bytes], **kwargs: Any) -> Any:
    return _RestrictedUnpickler(file, **kwargs).load()


def _restricted_loads(data: bytes, **kwargs: Any) -> Any:
    return _RestrictedUnpickler(io.BytesIO(data), **kwargs).load()


def restricted_pickle_module() -> types.ModuleType:
    """Return a module for ``torch.load(..., pickle_module=...)`` that refuses other globals."""
    module = types.ModuleType("visionbox_restricted_pickle")
    module.Unpickler = _RestrictedUnpickler
    module.load = _restricted_load
    module.UnpicklingError = pickle.UnpicklingError
    module.loads = _restricted_loads
    return module


def _refused_names(file: Any, message: str) -> list[str]:
    """Name the globals that made a load fail: from the file's pickle, else from the message."""
    getter: Callable | None = getattr(torch.serialization, "get_unsafe_globals_in_checkpoint", None)
    if getter is not None and isinstance(file, str | os.PathLike):
        allowed = set(_allowed_table())
        try:
            names = [n for n in getter(file) if n not in allowed]
        except (OSError, RuntimeError, pickle.UnpicklingError):
            names = []
        if names:
            return names
    return [a or b for a, b in _GLOBAL_IN_MESSAGE.findall(message)]


def safe_torch_load(file: str | os.PathLike | IO[bytes], map_location: Any = None) -> Any:
    """Load a checkpoint with ``weights_only=True`` semantics and VisionBox's allow-list.

    Args:
        file: A path or a binary file object.
        map_location: As in :func:`torch.load`.

    Raises:
        UnsafeCheckpointError: The file needs a global outside the allow-list (named).
    """
    source = repr(os.fspath(file)) if isinstance(file, str | os.PathLike) else "the checkpoint"
    if not uses_torch_weights_only():
        try:
            return torch.load(
                file,
                map_location=map_location,
                pickle_module=restricted_pickle_module(),
                weights_only=False,
            )
        except UnsafeCheckpointError as err:
            raise UnsafeCheckpointError(err.names, source) from None
    # The context removes what it adds on exit: give it only what is not registered already
    # (register_with_torch registered the standard list), so that the registration stays.
    registered = set(torch.serialization.get_safe_globals())
    entries = [(obj, name) for name, obj in safe_globals().items() if (obj, name) not in registered]
    try:
        with torch.serialization.safe_globals(entries):
            return torch.load(file, map_location=map_location, weights_only=True)
    except UnsafeCheckpointError as err:
        raise UnsafeCheckpointError(err.names, source) from None
    except pickle.UnpicklingError as err:
        names = _refused_names(file, str(err))
        if names:
            raise UnsafeCheckpointError(names, source) from None
        raise pickle.UnpicklingError(f"Could not load {source} safely: {err}") from None
