"""Small tensor helpers of the segmentation models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["resize", "accuracy", "add_prefix", "build_component"]


def resize(
    input: Tensor,
    size: Sequence[int] | None = None,
    scale_factor: float | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """``F.interpolate`` of an (N, C, H, W) map; ``align_corners`` is dropped for 'nearest'."""
    if size is not None:
        size = tuple(int(s) for s in size)
        if tuple(input.shape[-2:]) == size:
            return input
    if mode in ("nearest", "area", "nearest-exact"):
        align_corners = None
    return F.interpolate(input, size, scale_factor, mode, align_corners)


def accuracy(pred: Tensor, target: Tensor, ignore_index: int | None = None) -> Tensor:
    """Top-1 pixel accuracy in percent.

    Args:
        pred: (N, C, H, W) logits.
        target: (N, H, W) class indices.
        ignore_index: Pixels with this label are not counted.

    Returns:
        A (1,) tensor; 0 when no pixel is valid.
    """
    label = pred.argmax(dim=1)
    valid = torch.ones_like(target, dtype=torch.bool)
    if ignore_index is not None:
        valid = target != ignore_index
    correct = ((label == target) & valid).sum().float()
    total = valid.sum().clamp(min=1).float()
    return (correct * 100.0 / total).reshape(1)


def add_prefix(inputs: dict, prefix: str) -> dict:
    """Prefix every key of ``inputs`` with ``prefix + '.'``."""
    return {f"{prefix}.{name}": value for name, value in inputs.items()}


def build_component(cfg: Any, default_args: dict | None = None) -> nn.Module:
    """Return ``cfg`` if it is a module, else build it from the segmentation ``MODELS`` (which
    also finds core's and user-registered components)."""
    from ..registry import MODELS

    if isinstance(cfg, nn.Module):
        return cfg
    if not isinstance(cfg, dict):
        raise TypeError(
            f"Expected a config dict or an nn.Module, got {type(cfg).__name__}: {cfg!r}"
        )
    return MODELS.build(cfg, default_args=default_args)
