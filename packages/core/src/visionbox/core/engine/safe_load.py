"""Checkpoint loading with ``weights_only=True`` and an allow-list of globals.

A VisionBox or mmengine checkpoint is a pickle of tensors, dicts, lists and a few objects that
mmengine puts into ``meta`` and ``message_hub``: ``HistoryBuffer`` (with its statistics methods,
which pickle as ``getattr(HistoryBuffer, 'min')``) and NumPy arrays, dtypes and scalars. Those
globals, listed in :data:`SAFE_GLOBAL_NAMES`, are the only ones allowed on top of PyTorch's own
weights-only set (tensors, storages, dtypes, ``OrderedDict``, ``Counter``, ...). A file that needs
anything else is refused with :class:`UnsafeCheckpointError` naming the global; it is never loaded
with an unrestricted unpickler.

Two mechanisms, one list:

* torch >= 2.6: ``torch.load(weights_only=True)`` inside ``torch.serialization.safe_globals``;
  entries are ``(object, 'module.name')`` pairs, so NumPy 1 and NumPy 2 names both resolve.
* older torch (2.1 - 2.5, whose weights-only unpickler cannot be extended by name):
  ``torch.load(pickle_module=restricted_pickle_module())``, a ``pickle.Unpickler`` whose
  ``find_class`` returns only allowed globals. It works on every torch and is tested directly.

``builtins.getattr`` is never allowed as such: it maps to :func:`checkpoint_getattr`, which only
resolves the statistics methods of ``HistoryBuffer``.
"""

from __future__ import annotations

import _compat_pickle
import importlib
import io
import os
import pickle
import re
import types
from collections.abc import Callable, Iterable
from typing import IO, Any

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

from ..utils.errors import UserError

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

#: Globals found in VisionBox and mmengine checkpoints (beyond PyTorch's weights-only set), by the
#: name under which a pickle refers to them. ``numpy.core`` (NumPy 1) and ``numpy._core``
#: (NumPy 2) name the same functions.
SAFE_GLOBAL_NAMES: tuple[str, ...] = (
    "builtins.getattr",
    "mmengine.logging.history_buffer.HistoryBuffer",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray._reconstruct",
    "numpy._core.multiarray.scalar",
)

#: Type codes of the NumPy dtypes whose instances a checkpoint may restore (``BUILD``): booleans,
#: integers, floats, complex numbers, bytes, strings and void (structured) types.
_NUMPY_DTYPE_CODES = "?bBhHiIlLqQefdgFDGSUV"

_EXTRA: dict[str, Any] = {}
# How torch's weights-only unpickler and our own refusals name a global in their messages.
_GLOBAL_IN_MESSAGE = re.compile(r"GLOBAL ([\w.]+)|it needs '([^']+)'")


class UnsafeCheckpointError(UserError, pickle.UnpicklingError):
    """A checkpoint needs a global that is not on the allow-list.

    Attributes:
        names: The fully qualified names of the refused globals.
    """

    def __init__(self, names: Iterable[str], source: str = "the checkpoint") -> None:
        self.names = sorted(set(names))
        listed = ", ".join(repr(n) for n in self.names) or "an unknown global"
        super().__init__(
            f"Refusing to load {source}: it needs {listed}, which is not on VisionBox's "
            "allow-list of checkpoint globals (tensors, containers, NumPy arrays and mmengine's "
            "HistoryBuffer). Checkpoints are never loaded with weights_only=False. Re-save the "
            "file with plain state dicts, or, if you trust its source, allow the class with "
            "visionbox.core.engine.add_safe_globals([...])."
        )


def checkpoint_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to what mmengine checkpoints use: ``HistoryBuffer`` statistics."""
    if isinstance(obj, type) and issubclass(obj, HistoryBuffer):
        allowed = {"min", "max", "mean", "current"} | set(HistoryBuffer._statistics_methods)
        if name in allowed and callable(getattr(obj, name, None)):
            return getattr(obj, name)
    raise UnsafeCheckpointError([f"builtins.getattr({getattr(obj, '__name__', obj)!s}, {name})"])


def _import_attr(module_name: str, attr: str) -> Any | None:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, attr, None)


def _resolve(qualified: str) -> Any | None:
    if qualified == "builtins.getattr":
        return checkpoint_getattr
    if qualified in _EXTRA:
        return _EXTRA[qualified]
    module_name, _, attr = qualified.rpartition(".")
    candidates = [module_name]
    for prefix in ("numpy.core.", "numpy._core."):
        if module_name.startswith(prefix):
            # NumPy 2 moved numpy.core to numpy._core; try the current location first.
            rest = module_name[len(prefix) :]
            candidates = [f"numpy._core.{rest}", f"numpy.core.{rest}"]
            break
    for candidate in candidates:
        found = _import_attr(candidate, attr)
        if found is not None:
            return found
    return None


def _numpy_dtype_classes() -> dict[str, type]:
    """The classes of NumPy's dtype instances (``numpy.dtypes.Float64DType`` in NumPy 2).

    A pickled dtype is ``numpy.dtype('f8')`` followed by a ``BUILD`` of its state; torch's
    weights-only unpickler allows that ``BUILD`` only on allow-listed classes.
    """
    classes = {type(np.dtype(code)) for code in _NUMPY_DTYPE_CODES}
    return {f"{cls.__module__}.{cls.__qualname__}": cls for cls in classes}


def safe_globals() -> dict[str, Any]:
    """Return the allow-list as ``{qualified name: object}`` (names that cannot import skipped)."""
    table: dict[str, Any] = {}
    for name in (*SAFE_GLOBAL_NAMES, *_EXTRA):
        obj = _resolve(name)
        if obj is not None:
            table[name] = obj
    table.update(_numpy_dtype_classes())
    return table


def add_safe_globals(objects: Iterable[Any]) -> None:
    """Allow more classes or functions in checkpoints of a trusted source.

    Args:
        objects: Classes or functions, or ``(object, 'module.name')`` pairs.
    """
    for item in objects:
        obj, name = item if isinstance(item, tuple) else (item, None)
        if name is None:
            name = f"{obj.__module__}.{obj.__qualname__}"
        _EXTRA[name] = obj


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


def uses_torch_weights_only() -> bool:
    """Whether this torch can extend ``weights_only=True`` by name (torch >= 2.6)."""
    version = tuple(int(p) for p in re.findall(r"\d+", torch.__version__)[:2])
    return version >= (2, 6) and hasattr(torch.serialization, "safe_globals")


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
    entries = [(obj, name) for name, obj in safe_globals().items()]
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
