"""Dice loss (V-Net, https://arxiv.org/abs/1606.04797), mmdet 3.x names and arguments."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ...registry import MODELS
from .utils import Reduction, check_reduction, weight_reduce_loss

__all__ = ["DiceLoss", "dice_loss"]


def dice_loss(
    pred: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    eps: float = 1e-3,
    reduction: Reduction = "mean",
    naive_dice: bool = False,
    avg_factor: float | None = None,
) -> Tensor:
    """Per-sample ``1 - dice`` of (N, ...) probabilities against an (N, ...) 0/1 target -> (N,).

    ``naive_dice``: ``(2 |A∩B| + eps) / (|A| + |B| + eps)``; otherwise the V-Net form
    ``2 |A∩B| / (|A|² + |B|² + 2 eps)``. ``weight`` is (N,).
    """
    inputs = pred.flatten(1)
    target = target.flatten(1).float()
    a = (inputs * target).sum(1)
    if naive_dice:
        dice = (2 * a + eps) / (inputs.sum(1) + target.sum(1) + eps)
    else:
        dice = 2 * a / ((inputs * inputs).sum(1) + eps + (target * target).sum(1) + eps)
    loss = 1 - dice
    if weight is not None and weight.shape != loss.shape:
        raise ValueError(
            f"dice weight must be (N,) = {tuple(loss.shape)}, got {tuple(weight.shape)}"
        )
    return weight_reduce_loss(loss, weight, reduction, avg_factor)


@MODELS.register_module()
class DiceLoss(nn.Module):
    """Dice loss.

    Args:
        use_sigmoid: Activate ``pred`` with a sigmoid (else a softmax over dim 1).
        activate: Whether ``pred`` holds logits to activate.
        reduction: 'none', 'mean' or 'sum'.
        naive_dice: Use the plain dice form.
        loss_weight: Factor applied to the loss.
        eps: Smoothing term.
    """

    def __init__(
        self,
        use_sigmoid: bool = True,
        activate: bool = True,
        reduction: Reduction = "mean",
        naive_dice: bool = False,
        loss_weight: float = 1.0,
        eps: float = 1e-3,
    ) -> None:
        super().__init__()
        check_reduction(reduction)
        self.use_sigmoid = use_sigmoid
        self.activate = activate
        self.reduction = reduction
        self.naive_dice = naive_dice
        self.loss_weight = loss_weight
        self.eps = eps

    def forward(
        self,
        pred: Tensor,
        target: Tensor,
        weight: Tensor | None = None,
        reduction_override: Reduction | None = None,
        avg_factor: float | None = None,
    ) -> Tensor:
        """Args: pred (N, ...) logits or probabilities; target (N, ...) 0/1; weight (N,)."""
        check_reduction(reduction_override, allow_none=True)
        reduction = reduction_override or self.reduction
        if self.activate:
            pred = pred.sigmoid() if self.use_sigmoid else torch.softmax(pred, dim=1)
        return self.loss_weight * dice_loss(
            pred, target, weight, self.eps, reduction, self.naive_dice, avg_factor
        )
