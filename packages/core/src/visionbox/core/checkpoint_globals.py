"""The globals a checkpoint may hold, and their registration with ``torch.serialization``.

A VisionBox, mmengine or OpenMMLab model-zoo checkpoint is a pickle of tensors, dicts, lists and a
few objects that mmengine puts into ``meta`` and ``message_hub``: ``HistoryBuffer`` (whose
statistics methods pickle as ``getattr(HistoryBuffer, 'min')``), ``ConfigDict`` and NumPy arrays,
dtypes and scalars. Those globals, listed in :data:`SAFE_GLOBAL_NAMES`, are the only ones allowed
on top of PyTorch's own weights-only set (tensors, storages, dtypes, ``OrderedDict``, ...).

How the list reaches the loaders, without touching mmengine:

* VisionBox's own loads (``init_*``, Inferencers, ``test.py``, the runner's load and resume,
  ``init_cfg=dict(type='Pretrained', ...)`` in a VisionBox scope) call
  :func:`visionbox.core.engine.read_checkpoint` explicitly, which passes the list to
  ``torch.load(weights_only=True)`` for that call and names what it refuses.
* Everyone else's ``torch.load(weights_only=True)``, mmengine's ``load_checkpoint`` included, sees
  the same list because :func:`register_with_torch` adds it to
  ``torch.serialization.add_safe_globals``: the extension point PyTorch documents for exactly
  this (its weights-only error message suggests it for NumPy's ``_reconstruct``). Importing
  :mod:`visionbox.core` (so any VisionBox package) calls it once. It only widens what a
  weights-only load accepts, by classes that run no code of the file's choosing; the one
  function entry, ``builtins.getattr``, maps to :func:`checkpoint_getattr`, which resolves
  ``HistoryBuffer``'s statistics methods and refuses any other attribute by name.

No mmengine object is patched or re-registered: its ``CheckpointLoader`` schemes and registries
stay as mmengine defines them.
"""

from __future__ import annotations

import importlib
import pickle
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

from .utils.errors import UserError

__all__ = [
    "SAFE_GLOBAL_NAMES",
    "UnsafeCheckpointError",
    "add_safe_globals",
    "checkpoint_getattr",
    "register_with_torch",
    "safe_globals",
    "uses_torch_weights_only",
]

#: Globals found in VisionBox, mmengine and OpenMMLab model-zoo checkpoints (beyond PyTorch's
#: weights-only set), by the name under which a pickle refers to them. ``numpy.core`` (NumPy 1)
#: and ``numpy._core`` (NumPy 2) name the same functions.
SAFE_GLOBAL_NAMES: tuple[str, ...] = (
    "builtins.getattr",
    "mmengine.logging.history_buffer.HistoryBuffer",
    "mmengine.config.config.ConfigDict",
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
            "allow-list of checkpoint globals (tensors, containers, NumPy arrays, mmengine's "
            "HistoryBuffer and ConfigDict). Checkpoints are never loaded with "
            "weights_only=False. Re-save the file with plain state dicts, or, if you trust its "
            "source, allow the class with visionbox.core.engine.add_safe_globals([...])."
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


def _table(names: Iterable[str]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name in names:
        obj = _resolve(name)
        if obj is not None:
            table[name] = obj
    table.update(_numpy_dtype_classes())
    return table


def safe_globals() -> dict[str, Any]:
    """Return the allow-list as ``{qualified name: object}`` (names that cannot import skipped),
    with what :func:`add_safe_globals` added."""
    return _table((*SAFE_GLOBAL_NAMES, *_EXTRA))


def add_safe_globals(objects: Iterable[Any]) -> None:
    """Allow more classes or functions in checkpoints of a trusted source (VisionBox's loads).

    Args:
        objects: Classes or functions, or ``(object, 'module.name')`` pairs.
    """
    for item in objects:
        obj, name = item if isinstance(item, tuple) else (item, None)
        if name is None:
            name = f"{obj.__module__}.{obj.__qualname__}"
        _EXTRA[name] = obj


def uses_torch_weights_only() -> bool:
    """Whether this torch can extend ``weights_only=True`` by name (torch >= 2.6)."""
    version = tuple(int(p) for p in re.findall(r"\d+", torch.__version__)[:2])
    return version >= (2, 6) and hasattr(torch.serialization, "safe_globals")


def register_with_torch() -> bool:
    """Add :data:`SAFE_GLOBAL_NAMES` to ``torch.serialization``'s safe globals (once).

    Returns:
        Whether the list is registered (False on torch < 2.6, whose ``torch.load`` does not
        default to ``weights_only=True`` and cannot take ``(object, name)`` entries).
    """
    if not uses_torch_weights_only():
        return False
    registered = {
        entry[1] for entry in torch.serialization.get_safe_globals() if isinstance(entry, tuple)
    }
    table = _table(SAFE_GLOBAL_NAMES)
    entries = [(obj, name) for name, obj in table.items() if name not in registered]
    if entries:
        torch.serialization.add_safe_globals(entries)
    return True
