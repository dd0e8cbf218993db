"""Quality focal loss (Generalized Focal Loss, Li et al. 2020, https://arxiv.org/abs/2006.04388),
mmdet 3.x names, arguments and semantics.

Shape shorthand: N samples (priors), C classes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...registry import MODELS
from .utils import Reduction, check_reduction, weight_reduce_loss

__all__ = ["QualityFocalLoss", "quality_focal_loss", "soft_quality_target"]


def soft_quality_target(labels: Tensor, scores: Tensor, num_classes: int) -> Tensor:
    """(N, C) soft target: ``scores[i]`` at ``(i, labels[i])`` for foreground labels
    (``0 <= label < C``), 0 elsewhere (``label == C`` is background)."""
    target = scores.new_zeros((labels.numel(), num_classes + 1))
    labels = labels.long().clamp(min=0, max=num_classes)
    target.scatter_(1, labels[:, None], scores.reshape(-1, 1).to(target.dtype))
    return target[:, :num_classes]


def quality_focal_loss(
    pred: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    beta: float = 2.0,
    reduction: Reduction = "mean",
    avg_factor: float | None = None,
    activated: bool = False,
) -> Tensor:
    """Per-sample QFL ``sum_c BCE(p_c, t_c) * |t_c - sigmoid(p_c)| ** beta`` -> (N,).

    Args:
        pred: (N, C) logits (probabilities when ``activated``).
        target: (N, C) soft targets in [0, 1] (0: negative; the IoU of the prior's box for its
            class otherwise).
        weight: (N,) per-sample weights.
    """
    if pred.shape != target.shape:
        raise ValueError(
            f"QFL pred {tuple(pred.shape)} and target {tuple(target.shape)} must match"
        )
    target = target.type_as(pred)
    if activated:
        prob = pred
        bce = F.binary_cross_entropy(pred, target, reduction="none")
    else:
        prob = pred.sigmoid()
        bce = F.binary_cross_entropy_with_logits(pred, target, reduction="none")
    loss = (bce * (target - prob).abs().pow(beta)).sum(dim=1)
    return weight_reduce_loss(loss, weight, reduction, avg_factor)


@MODELS.register_module()
class QualityFocalLoss(nn.Module):
    """Quality focal loss: a sigmoid BCE whose target is the localisation quality (IoU) of the
    positive class, modulated by ``|target - p| ** beta``.

    Args:
        use_sigmoid: Must be True (only the sigmoid form exists).
        beta: Modulating exponent.
        reduction: 'none', 'mean' or 'sum'.
        loss_weight: Factor applied to the loss.
        activated: ``pred`` already holds probabilities.
    """

    def __init__(
        self,
        use_sigmoid: bool = True,
        beta: float = 2.0,
        reduction: Reduction = "mean",
        loss_weight: float = 1.0,
        activated: bool = False,
    ) -> None:
        super().__init__()
        if not use_sigmoid:
            raise ValueError("QualityFocalLoss supports only use_sigmoid=True")
        check_reduction(reduction)
        self.use_sigmoid = use_sigmoid
        self.beta = beta
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.activated = activated

    def forward(
        self,
        pred: Tensor,
        target: Tensor | tuple[Tensor, Tensor],
        weight: Tensor | None = None,
        avg_factor: float | None = None,
        reduction_override: Reduction | None = None,
    ) -> Tensor:
        """Args: pred (N, C); target ``(labels (N,), scores (N,))`` with label C for background,
        or (N, C) soft targets; weight (N,)."""
        check_reduction(reduction_override, allow_none=True)
        reduction = reduction_override or self.reduction
        if isinstance(target, (tuple, list)):
            if len(target) != 2:
                raise ValueError("QualityFocalLoss target must be (labels, scores) or a tensor")
            target = soft_quality_target(target[0], target[1], pred.size(1))
        elif not torch.is_tensor(target):
            raise TypeError(f"QualityFocalLoss target must be a tuple or tensor, got {target!r}")
        return self.loss_weight * quality_focal_loss(
            pred, target, weight, self.beta, reduction, avg_factor, self.activated
        )
