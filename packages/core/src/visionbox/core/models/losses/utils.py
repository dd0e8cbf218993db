"""Loss reduction helpers with mmdet's semantics: element-wise ``weight``, ``reduction`` and
``avg_factor`` (divide the sum by a count, e.g. the number of positive samples)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Literal

import torch
from torch import Tensor

__all__ = [
    "REDUCTIONS",
    "Reduction",
    "check_reduction",
    "reduce_loss",
    "weight_reduce_loss",
    "weighted_loss",
]

Reduction = Literal["none", "mean", "sum"]
REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction: str | None, allow_none: bool = False) -> None:
    """Raise ``ValueError`` naming the allowed reductions."""
    if reduction is None and allow_none:
        return
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}"
        )


def reduce_loss(loss: Tensor, reduction: Reduction) -> Tensor:
    """Reduce an element-wise loss by ``'none'``, ``'mean'`` or ``'sum'``."""
    check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def weight_reduce_loss(
    loss: Tensor,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
    avg_factor: float | Tensor | None = None,
) -> Tensor:
    """Multiply by ``weight`` (broadcast), then reduce.

    With ``avg_factor``, ``'mean'`` is ``sum / (avg_factor + eps)``; ``'sum'`` with an
    ``avg_factor`` is an error; ``'none'`` ignores it.
    """
    check_reduction(reduction)
    if weight is not None:
        loss = loss * weight
    if avg_factor is None:
        return reduce_loss(loss, reduction)
    if reduction == "mean":
        return loss.sum() / (avg_factor + torch.finfo(torch.float32).eps)
    if reduction == "sum":
        raise ValueError('avg_factor can not be used with reduction="sum"')
    return loss


def weighted_loss(loss_func: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """Turn an element-wise ``loss_func(pred, target, **kwargs)`` into
    ``f(pred, target, weight=None, reduction='mean', avg_factor=None, **kwargs)``.

    Example::

        @weighted_loss
        def l1_loss(pred, target):
            return (pred - target).abs()

        l1_loss(pred, target, weight, avg_factor=2)
    """

    @functools.wraps(loss_func)
    def wrapper(
        pred: Tensor,
        target: Tensor,
        weight: Tensor | None = None,
        reduction: Reduction = "mean",
        avg_factor: float | Tensor | None = None,
        **kwargs: object,
    ) -> Tensor:
        return weight_reduce_loss(loss_func(pred, target, **kwargs), weight, reduction, avg_factor)

    return wrapper
