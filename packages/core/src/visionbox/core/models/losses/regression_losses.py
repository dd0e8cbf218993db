"""Element-wise regression losses (mmdet 3.x names and arguments): ``L1Loss``, ``SmoothL1Loss``,
``MSELoss``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...registry import MODELS
from .utils import Reduction, check_reduction, weighted_loss

__all__ = ["L1Loss", "MSELoss", "SmoothL1Loss", "l1_loss", "mse_loss", "smooth_l1_loss"]


def _check_shapes(pred: Tensor, target: Tensor) -> None:
    if pred.shape != target.shape:
        raise ValueError(
            f"pred {tuple(pred.shape)} and target {tuple(target.shape)} must have the same shape"
        )


@weighted_loss
def l1_loss(pred: Tensor, target: Tensor) -> Tensor:
    """``|pred - target|`` element-wise; (…) -> (…)."""
    if target.numel() == 0:
        return pred.sum() * 0
    _check_shapes(pred, target)
    return (pred - target).abs()


@weighted_loss
def smooth_l1_loss(pred: Tensor, target: Tensor, beta: float = 1.0) -> Tensor:
    """Huber-like: ``0.5 d**2 / beta`` below ``beta``, ``d - 0.5 beta`` above; (…) -> (…)."""
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    if target.numel() == 0:
        return pred.sum() * 0
    _check_shapes(pred, target)
    diff = (pred - target).abs()
    return torch.where(diff < beta, 0.5 * diff * diff / beta, diff - 0.5 * beta)


@weighted_loss
def mse_loss(pred: Tensor, target: Tensor) -> Tensor:
    """``(pred - target)**2`` element-wise; (…) -> (…)."""
    return F.mse_loss(pred, target, reduction="none")


class _ElementwiseLoss(nn.Module):
    """Shared ``forward`` of the element-wise losses."""

    def __init__(self, reduction: Reduction, loss_weight: float) -> None:
        super().__init__()
        check_reduction(reduction)
        self.reduction = reduction
        self.loss_weight = loss_weight

    def _loss(self, pred: Tensor, target: Tensor, **kwargs: object) -> Tensor:
        raise NotImplementedError

    def forward(
        self,
        pred: Tensor,
        target: Tensor,
        weight: Tensor | None = None,
        avg_factor: float | Tensor | None = None,
        reduction_override: Reduction | None = None,
    ) -> Tensor:
        """Args: pred, target (…) of equal shape; weight broadcastable to them."""
        check_reduction(reduction_override, allow_none=True)
        reduction = reduction_override or self.reduction
        if weight is not None and not torch.any(weight > 0) and reduction != "none":
            if pred.dim() == weight.dim() + 1:
                weight = weight.unsqueeze(1)
            return (pred * weight).sum()  # zero, but connected to the graph
        return self.loss_weight * self._loss(
            pred, target, weight=weight, reduction=reduction, avg_factor=avg_factor
        )


@MODELS.register_module()
class L1Loss(_ElementwiseLoss):
    """L1 loss. Args: reduction ('none' | 'mean' | 'sum'), loss_weight."""

    def __init__(self, reduction: Reduction = "mean", loss_weight: float = 1.0) -> None:
        super().__init__(reduction, loss_weight)

    def _loss(self, pred: Tensor, target: Tensor, **kwargs: object) -> Tensor:
        return l1_loss(pred, target, **kwargs)


@MODELS.register_module()
class SmoothL1Loss(_ElementwiseLoss):
    """Smooth L1 loss. Args: beta (the quadratic-to-linear switch), reduction, loss_weight."""

    def __init__(
        self, beta: float = 1.0, reduction: Reduction = "mean", loss_weight: float = 1.0
    ) -> None:
        super().__init__(reduction, loss_weight)
        if beta <= 0:
            raise ValueError(f"SmoothL1Loss: beta must be > 0, got {beta}")
        self.beta = beta

    def _loss(self, pred: Tensor, target: Tensor, **kwargs: object) -> Tensor:
        return smooth_l1_loss(pred, target, beta=self.beta, **kwargs)


@MODELS.register_module()
class MSELoss(_ElementwiseLoss):
    """Mean squared error. Args: reduction, loss_weight."""

    def __init__(self, reduction: Reduction = "mean", loss_weight: float = 1.0) -> None:
        super().__init__(reduction, loss_weight)

    def _loss(self, pred: Tensor, target: Tensor, **kwargs: object) -> Tensor:
        return mse_loss(pred, target, **kwargs)
