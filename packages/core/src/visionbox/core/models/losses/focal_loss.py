"""Sigmoid focal loss (Lin et al. 2017, https://arxiv.org/abs/1708.02002), mmdet 3.x semantics."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from ...registry import MODELS
from .utils import Reduction, check_reduction, weight_reduce_loss

__all__ = ["FocalLoss", "sigmoid_focal_loss", "sigmoid_focal_loss_with_labels"]


def _per_entry(weight: Tensor | None, loss: Tensor) -> Tensor | None:
    """A (N,) per-sample or flat (N * C,) ``weight`` shaped to broadcast over the (N, C) loss."""
    if weight is None or weight.shape == loss.shape:
        return weight
    return weight.view(-1, 1) if weight.size(0) == loss.size(0) else weight.view(loss.size(0), -1)


def sigmoid_focal_loss(
    pred: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    gamma: float = 2.0,
    alpha: float = 0.25,
    reduction: Reduction = "mean",
    avg_factor: float | None = None,
    activated: bool = False,
) -> Tensor:
    """Focal loss on (N, C) logits (or probabilities when ``activated``) and a (N, C) 0/1 target.

    ``weight`` is (N,) per sample or (N, C).
    """
    target = target.type_as(pred)
    prob = pred if activated else pred.sigmoid()
    pt = (1 - prob) * target + prob * (1 - target)
    focal_weight = (alpha * target + (1 - alpha) * (1 - target)) * pt.pow(gamma)
    if activated:
        bce = F.binary_cross_entropy(pred, target, reduction="none")
    else:
        bce = F.binary_cross_entropy_with_logits(pred, target, reduction="none")
    loss = bce * focal_weight
    return weight_reduce_loss(loss, _per_entry(weight, loss), reduction, avg_factor)


def sigmoid_focal_loss_with_labels(
    pred: Tensor,
    labels: Tensor,
    weight: Tensor | None = None,
    gamma: float = 2.0,
    alpha: float = 0.25,
    reduction: Reduction = "mean",
    avg_factor: float | None = None,
) -> Tensor:
    """:func:`sigmoid_focal_loss` of (N, C) logits with (N,) class-index targets (C or any
    index outside [0, C) is background), without the (N, C) one-hot target.

    Every entry is first computed as a negative, ``(1 - alpha) * p ** gamma * softplus(x)``
    (``softplus(x)`` is the binary cross-entropy of a logit against 0), then the N' positive
    (sample, class) entries are replaced by ``alpha * (1 - p) ** gamma * softplus(-x)``: the same
    loss in a few passes over the (N, C) logits instead of a dozen, which matters for dense heads
    (RetinaNet's is 9 anchors x 80 classes at every location).
    """
    num_classes = pred.size(1)
    prob = pred.sigmoid()
    loss = F.softplus(pred) * prob.pow(gamma) * (1 - alpha)
    rows = ((labels >= 0) & (labels < num_classes)).nonzero()[:, 0]
    if len(rows):
        cols = labels[rows].long()
        positive = F.softplus(-pred[rows, cols]) * (1 - prob[rows, cols]).pow(gamma) * alpha
        loss = loss.index_put((rows, cols), positive)
    return weight_reduce_loss(loss, _per_entry(weight, loss), reduction, avg_factor)


@MODELS.register_module()
class FocalLoss(nn.Module):
    """Sigmoid focal loss.

    Args:
        use_sigmoid: Must be True (only the sigmoid form exists).
        gamma: Focusing parameter.
        alpha: Weight of the positive class.
        reduction: 'none', 'mean' or 'sum'.
        loss_weight: Factor applied to the loss.
        activated: ``pred`` already holds probabilities.
    """

    def __init__(
        self,
        use_sigmoid: bool = True,
        gamma: float = 2.0,
        alpha: float = 0.25,
        reduction: Reduction = "mean",
        loss_weight: float = 1.0,
        activated: bool = False,
    ) -> None:
        super().__init__()
        if not use_sigmoid:
            raise ValueError("FocalLoss supports only use_sigmoid=True (the sigmoid focal loss)")
        check_reduction(reduction)
        self.use_sigmoid = use_sigmoid
        self.gamma = gamma
        self.alpha = alpha
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.activated = activated

    def forward(
        self,
        pred: Tensor,
        target: Tensor,
        weight: Tensor | None = None,
        avg_factor: float | None = None,
        reduction_override: Reduction | None = None,
    ) -> Tensor:
        """Args: pred (N, C); target (N,) class indices (C = background) or (N, C) 0/1."""
        check_reduction(reduction_override, allow_none=True)
        reduction = reduction_override or self.reduction
        if pred.dim() != target.dim() and not self.activated:
            return self.loss_weight * sigmoid_focal_loss_with_labels(
                pred, target, weight, self.gamma, self.alpha, reduction, avg_factor
            )
        if pred.dim() != target.dim():
            num_classes = pred.size(1)
            target = F.one_hot(target.long(), num_classes=num_classes + 1)[:, :num_classes]
        return self.loss_weight * sigmoid_focal_loss(
            pred, target, weight, self.gamma, self.alpha, reduction, avg_factor, self.activated
        )
