"""What every ``init_*`` function does after building its model: safe weights, fast inference.

``load_weights`` goes through :func:`visionbox.core.engine.load_model_weights` (``weights_only``
loading with VisionBox's allow-list, refusing a checkpoint that does not fit the model by name);
``ready_for_inference`` moves the model to its device and, with ``fuse=True``, applies
:func:`visionbox.core.models.optimize_for_inference` (BatchNorm folding; ``fuse=False`` /
``--no-fuse`` keep the model as trained).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mmengine.registry import DefaultScope
from torch import nn

from ..engine import load_model_weights
from ..models import optimize_for_inference

__all__ = ["load_weights", "ready_for_inference", "use_default_scope"]


def use_default_scope(scope: str) -> None:
    """Make ``scope`` mmengine's current default scope, as ``init_default_scope`` does but
    without its warning: switching between a detector's and a pose model's scope is expected."""
    current = DefaultScope.get_current_instance()
    if current is None or current.scope_name != scope:
        DefaultScope.get_instance(f"{scope}-{datetime.now()}", scope_name=scope)


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
