"""Read a checkpoint and put its weights into a model, refusing files that do not fit.

Every way into a trained model (``init_*``, the Inferencers, ``test.py``, the ``visionbox``
command) calls :func:`load_model_weights`, which

1. reads the file through the allow-list of :mod:`.safe_load` (``weights_only=True``; local paths,
   ``http(s)://`` and ``open-mmlab://`` (mmengine's table of URLs) through the torch hub cache,
   ``torchvision://`` from the cache; any other scheme is refused by name);
2. refuses what is not a checkpoint by name: a missing path (``FileNotFoundError``), a folder, an
   empty, truncated or non-zip file (:class:`CheckpointReadError` naming the path and what it is),
   an mmdetection 2.x checkpoint (its keys were renamed in 3.x; the message names mmdetection's
   converter);
3. takes the weights: ``checkpoint['state_dict']`` (mmengine's layout), else
   ``checkpoint['model']``, else the file itself when it is a plain ``{name: tensor}`` dict, and
   drops a ``module.`` prefix (DataParallel / DDP). mmengine's ``EMAHook`` swaps the averaged
   weights into ``state_dict`` before saving, so an EMA checkpoint needs nothing more (its
   ``ema_state_dict`` holds the raw weights and is only read on resume);
4. compares the keys and shapes with the model's ``state_dict`` *before* loading anything: with
   ``strict=True`` any missing key, unexpected key or wrong shape raises
   :class:`CheckpointMismatchError` with the counts and the first few names of each; with
   ``strict=False`` the matching tensors are loaded and the rest is reported as a warning.
"""

from __future__ import annotations

import logging
import os
import os.path as osp
import pickle
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import nn

from ..utils import did_you_mean
from ..utils.errors import UserError
from .checkpoint import load_from_http, load_from_local
from .safe_load import UnsafeCheckpointError

__all__ = [
    "CheckpointMismatchError",
    "CheckpointReadError",
    "KeyMismatch",
    "check_fits",
    "compare_state_dicts",
    "extract_state_dict",
    "load_model_weights",
    "read_checkpoint",
]

#: How many names of each kind a mismatch message lists.
_SHOWN = 5
_MODULE_PREFIX = "module."
_MMDET2_CONVERTER = (
    "mmdetection's tools/model_converters/upgrade_model_version.py "
    "(https://github.com/open-mmlab/mmdetection/blob/3.x/tools/model_converters/"
    "upgrade_model_version.py)"
)


class CheckpointReadError(UserError):
    """A checkpoint file cannot be read: not a checkpoint, truncated, or of an unsupported kind."""


class CheckpointMismatchError(UserError):
    """A checkpoint's weights do not fit the model (missing or unexpected keys, wrong shapes).

    Attributes:
        mismatch: The comparison that failed.
    """

    def __init__(self, message: str, mismatch: KeyMismatch) -> None:
        super().__init__(message)
        self.mismatch = mismatch


@dataclass
class KeyMismatch:
    """How a checkpoint's state dict differs from a model's.

    Attributes:
        missing: Keys of the model that the checkpoint lacks.
        unexpected: Keys of the checkpoint that the model lacks.
        wrong_shape: ``(key, checkpoint shape, model shape)`` of keys present in both.
    """

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    wrong_shape: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.missing or self.unexpected or self.wrong_shape)

    def describe(self) -> str:
        """One line per kind of difference: the count and the first few names."""
        lines = []
        for label, names in (("missing", self.missing), ("unexpected", self.unexpected)):
            if names:
                shown = ", ".join(names[:_SHOWN]) + (", ..." if len(names) > _SHOWN else "")
                lines.append(f"  {len(names)} {label} key(s): {shown}")
        if self.wrong_shape:
            shown = ", ".join(
                f"{key} (checkpoint {tuple(a)}, model {tuple(b)})"
                for key, a, b in self.wrong_shape[:_SHOWN]
            )
            more = ", ..." if len(self.wrong_shape) > _SHOWN else ""
            lines.append(f"  {len(self.wrong_shape)} key(s) of another shape: {shown}{more}")
        return "\n".join(lines)


def _describe_unreadable(path: str, err: BaseException) -> str:
    size = osp.getsize(path)
    first = str(err).split(". ")[0]  # torch's first sentence says what; the rest is advice
    if size == 0:
        return "is empty (0 bytes)"
    with open(path, "rb") as file:
        head = file.read(4)
    if head.startswith(b"PK") and not zipfile.is_zipfile(path):
        return f"is a truncated or damaged zip archive ({size} bytes): {first}"
    if not head.startswith(b"PK") and head[:1] != b"\x80":
        return (
            f"is not a PyTorch checkpoint (neither a zip archive nor a legacy torch.save file; "
            f"it starts with {head!r})"
        )
    return f"is not a readable PyTorch checkpoint ({size} bytes): {first}"


def _read_local(path: str, map_location: Any) -> Any:
    path = osp.expanduser(path)
    if osp.isdir(path):
        raise CheckpointReadError(f"Checkpoint {path!r} is a folder, not a checkpoint file.")
    try:
        return load_from_local(path, map_location=map_location)
    except (FileNotFoundError, UnsafeCheckpointError):
        raise
    except (RuntimeError, EOFError, pickle.UnpicklingError, ValueError, OSError) as err:
        reason = _describe_unreadable(path, err)
        raise CheckpointReadError(f"Checkpoint {path!r} {reason}") from None


def _check_not_mmdet2(checkpoint: Any, source: str) -> None:
    meta = checkpoint.get("meta") if isinstance(checkpoint, Mapping) else None
    version = meta.get("mmdet_version") if isinstance(meta, Mapping) else None
    if not isinstance(version, str):
        return
    major = re.match(r"\s*(\d+)", version)
    if major is not None and int(major.group(1)) < 3:
        raise CheckpointReadError(
            f"Checkpoint {source} was written by mmdetection {version}; its keys follow "
            f"mmdetection 2.x, which 3.x renamed. Convert it first with {_MMDET2_CONVERTER}."
        )


def _openmmlab_url(name: str) -> str:
    """The URL of ``open-mmlab://<model>`` in mmengine's table (old names renamed as mmengine)."""
    from mmengine.runner.checkpoint import get_deprecated_model_names, get_external_models

    model = name.split("://", 1)[1]
    model = get_deprecated_model_names().get(model, model)
    urls = get_external_models()
    if model not in urls:
        raise CheckpointReadError(
            f"Checkpoint {name!r}: mmengine knows no OpenMMLab model {model!r}."
            f"{did_you_mean(model, urls)}"
        )
    return urls[model]


def read_checkpoint(filename: str | os.PathLike, map_location: Any = "cpu") -> Any:
    """Read a checkpoint through the allow-list.

    Args:
        filename: A local path, an ``http(s)://`` URL or ``open-mmlab://<model>`` (cached in the
            torch hub folder), or ``torchvision://<name>`` / ``modelzoo://<name>`` (read from the
            torch hub cache).
        map_location: As in :func:`torch.load`.

    Returns:
        What the file holds (a dict for every checkpoint VisionBox or mmengine writes).

    Raises:
        FileNotFoundError: The local path does not exist.
        CheckpointReadError: The path is a folder, the file is not a (whole) PyTorch checkpoint,
            or it is an mmdetection 2.x checkpoint.
        UnsafeCheckpointError: The file needs a global outside the allow-list.
    """
    name = os.fspath(filename)
    if name.startswith(("open-mmlab://", "openmmlab://")):
        checkpoint = load_from_http(_openmmlab_url(name), map_location=map_location)
    elif name.startswith(("http://", "https://")):
        checkpoint = load_from_http(name, map_location=map_location)
    elif name.startswith(("torchvision://", "modelzoo://")):
        from ..models.pretrained import load_torchvision_checkpoint

        checkpoint = load_torchvision_checkpoint(name, map_location=map_location)
    elif "://" in name:
        raise CheckpointReadError(
            f"Checkpoint {name!r}: VisionBox reads local files, http(s)://, open-mmlab:// and "
            f"torchvision:// checkpoints, not {name.split('://')[0]}://. Copy the file to a local "
            "path and pass that."
        )
    else:
        checkpoint = _read_local(name, map_location)
    _check_not_mmdet2(checkpoint, repr(name))
    return checkpoint


def _is_state_dict(obj: Any) -> bool:
    return (
        isinstance(obj, Mapping)
        and len(obj) > 0
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())
    )


def extract_state_dict(checkpoint: Any, source: str = "the checkpoint") -> dict[str, torch.Tensor]:
    """Return the weights of ``checkpoint`` without a ``module.`` prefix.

    Raises:
        CheckpointReadError: ``checkpoint`` holds no state dict.
    """
    state = None
    if isinstance(checkpoint, Mapping):
        for key in ("state_dict", "model"):
            if isinstance(checkpoint.get(key), Mapping):
                state = checkpoint[key]
                break
        else:
            state = checkpoint if _is_state_dict(checkpoint) else None
    if state is None:
        kind = (
            f"a dict with keys {sorted(map(str, checkpoint))[:8]}"
            if isinstance(checkpoint, Mapping)
            else f"a {type(checkpoint).__name__}"
        )
        raise CheckpointReadError(
            f"{source} holds no model weights: expected a dict with 'state_dict' (mmengine's "
            f"layout) or a plain {{name: tensor}} dict, got {kind}."
        )
    return {
        (k[len(_MODULE_PREFIX) :] if k.startswith(_MODULE_PREFIX) else k): v
        for k, v in state.items()
    }


def compare_state_dicts(
    model_state: Mapping[str, Any], checkpoint_state: Mapping[str, Any]
) -> KeyMismatch:
    """Compare keys and shapes of a model's and a checkpoint's state dicts.

    Values only need a ``shape`` (tensors, including ``meta`` tensors).
    """
    mismatch = KeyMismatch(
        missing=[k for k in model_state if k not in checkpoint_state],
        unexpected=[k for k in checkpoint_state if k not in model_state],
    )
    for key, value in checkpoint_state.items():
        target = model_state.get(key)
        if target is None or not hasattr(value, "shape"):
            continue
        if tuple(value.shape) != tuple(target.shape):
            mismatch.wrong_shape.append((key, tuple(value.shape), tuple(target.shape)))
    return mismatch


def _mismatch_message(source: str, model_name: str, mismatch: KeyMismatch) -> str:
    return (
        f"Checkpoint {source} does not fit the model {model_name}:\n"
        f"{mismatch.describe()}\n"
        "Is it a checkpoint of another model or config? Pass strict=False (--allow-partial on "
        "the command line) to load only the matching weights."
    )


def check_fits(
    model_state: Mapping[str, Any],
    state: Mapping[str, Any],
    source: str,
    *,
    model_name: str = "model",
    strict: bool = True,
) -> KeyMismatch:
    """Compare a checkpoint's ``state`` with a model's; raise when ``strict``, else warn.

    Args:
        model_state: The model's state dict (tensors or anything with a ``shape``).
        state: The checkpoint's state dict.
        source: How messages name the checkpoint.
        model_name: How messages name the model (its class).
        strict: Raise on any difference; else log the differences.

    Returns:
        The differences.

    Raises:
        CheckpointMismatchError: ``strict`` and the checkpoint does not cover the model exactly.
    """
    mismatch = compare_state_dicts(model_state, state)
    if mismatch and strict:
        message = _mismatch_message(source, model_name, mismatch)
        raise CheckpointMismatchError(message, mismatch)
    if mismatch:
        print_log(
            f"Loading only the matching weights of {source} (strict=False):\n{mismatch.describe()}",
            logger="current",
            level=logging.WARNING,
        )
    return mismatch


def load_model_weights(
    model: nn.Module,
    filename: str | os.PathLike,
    *,
    strict: bool = True,
    map_location: Any = "cpu",
) -> dict:
    """Load the weights of checkpoint ``filename`` into ``model`` (see the module docstring).

    Args:
        model: The model; a DataParallel / DDP wrapper is unwrapped.
        filename: A path, ``http(s)://`` URL or ``torchvision://<name>``.
        strict: Refuse a checkpoint whose keys or shapes differ from the model's. With
            ``False``, load what matches and log the rest.
        map_location: As in :func:`torch.load`.

    Returns:
        The checkpoint as read (with ``meta`` when the file has one); a plain state dict is
        returned as ``{'state_dict': ...}``.

    Raises:
        FileNotFoundError, CheckpointReadError, UnsafeCheckpointError: see
            :func:`read_checkpoint`.
        CheckpointMismatchError: ``strict`` and the weights do not fit ``model``; nothing is
            loaded then.
    """
    source = repr(os.fspath(filename))
    checkpoint = read_checkpoint(filename, map_location=map_location)
    state = extract_state_dict(checkpoint, f"Checkpoint {source}")
    target = model.module if is_model_wrapper(model) else model
    mismatch = check_fits(
        target.state_dict(), state, source, model_name=type(target).__name__, strict=strict
    )
    wrong = {key for key, _, _ in mismatch.wrong_shape}
    target.load_state_dict({k: v for k, v in state.items() if k not in wrong}, strict=False)
    if isinstance(checkpoint, Mapping) and any(k in checkpoint for k in ("state_dict", "model")):
        return dict(checkpoint)
    return {"state_dict": state}
