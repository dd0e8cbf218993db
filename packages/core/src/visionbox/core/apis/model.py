"""What every ``init_*`` function does after building its model: safe weights, fast inference.

``load_weights`` goes through :func:`visionbox.core.engine.load_model_weights` (``weights_only``
loading with VisionBox's allow-list, refusing a checkpoint that does not fit the model by name);
``ready_for_inference`` moves the model to its device and, with ``fuse=True``, applies
:func:`visionbox.core.models.optimize_for_inference` (BatchNorm folding; ``fuse=False`` /
``--no-fuse`` keep the model as trained).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from ..engine import load_model_weights
from ..models import optimize_for_inference

__all__ = ["load_weights", "ready_for_inference"]


def load_weights(model: nn.Module, checkpoint: str, *, strict: bool = True) -> dict[str, Any]:
    """Load ``checkpoint`` into ``model``; return its ``meta`` (``{}`` when it has none).

    Raises:
        FileNotFoundError, CheckpointReadError: naming the file.
        CheckpointMismatchError: ``strict`` and the keys or shapes do not fit ``model``.
    """
    loaded = load_model_weights(model, checkpoint, strict=strict, map_location="cpu")
    meta = loaded.get("meta") if isinstance(loaded, dict) else None
    return dict(meta) if isinstance(meta, dict) else {}


def ready_for_inference(model: nn.Module, device: Any = "cpu", fuse: bool = True) -> nn.Module:
    """Move ``model`` to ``device`` in eval mode; fold BatchNorms when ``fuse``."""
    model = model.to(device)
    if fuse:
        return optimize_for_inference(model)
    return model.eval()
