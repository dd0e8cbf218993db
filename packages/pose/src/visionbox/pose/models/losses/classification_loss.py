"""Classification losses of pose heads: ``KLDiscretLoss`` (SimCC) and ``BCELoss`` (visibility).

Shape shorthand: N samples, K keypoints, W bins.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...registry import MODELS

__all__ = ["BCELoss", "KLDiscretLoss"]


@MODELS.register_module()
class KLDiscretLoss(nn.Module):
    """KL divergence between softmax(beta * logits) and the (N, K, W) labels of each axis.

    Args:
        beta: Temperature of the predictions' softmax.
        label_softmax: Turn the labels into a distribution with softmax(label_beta * labels).
        label_beta: Temperature of the labels' softmax.
        use_target_weight: Weight each keypoint by its (N, K) target weight.
        mask: Keypoint indices weighted by ``mask_weight``.
        mask_weight: Weight of the masked keypoints.
    """

    def __init__(
        self,
        beta: float = 1.0,
        label_softmax: bool = False,
        label_beta: float = 10.0,
        use_target_weight: bool = True,
        mask: list[int] | None = None,
        mask_weight: float = 1.0,
    ) -> None:
        super().__init__()
        self.beta = beta
        self.label_softmax = label_softmax
        self.label_beta = label_beta
        self.use_target_weight = use_target_weight
        self.mask = mask
        self.mask_weight = mask_weight

    def criterion(self, dec_outs: Tensor, labels: Tensor) -> Tensor:
        """(M, W) logits and labels -> (M,) mean KL per row."""
        log_pt = F.log_softmax(dec_outs * self.beta, dim=1)
        if self.label_softmax:
            labels = F.softmax(labels * self.label_beta, dim=1)
        return F.kl_div(log_pt, labels, reduction="none").mean(dim=1)

    def forward(
        self,
        pred_simcc: tuple[Tensor, Tensor],
        gt_simcc: tuple[Tensor, Tensor],
        target_weight: Tensor,
    ) -> Tensor:
        n, k, _ = pred_simcc[0].shape
        weight = target_weight.reshape(-1) if self.use_target_weight else 1.0
        loss = pred_simcc[0].new_zeros(())
        for pred, target in zip(pred_simcc, gt_simcc):
            rows = self.criterion(
                pred.reshape(-1, pred.size(-1)), target.reshape(-1, target.size(-1))
            )
            rows = rows * weight
            if self.mask is not None:
                rows = rows.reshape(n, k)
                rows = torch.cat([rows, rows[:, self.mask] * (self.mask_weight - 1)], dim=1)
            loss = loss + rows.sum()
        return loss / k


@MODELS.register_module()
class BCELoss(nn.Module):
    """Binary cross entropy, optionally weighted per label.

    As in mmpose, ``use_sigmoid=True`` means the outputs are already probabilities (the head
    ends with a sigmoid); otherwise they are logits.

    Args:
        use_target_weight: Multiply each label's loss by its weight.
        loss_weight: Factor of the loss.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        use_sigmoid: Outputs are probabilities (plain BCE) rather than logits.
    """

    def __init__(
        self,
        use_target_weight: bool = False,
        loss_weight: float = 1.0,
        reduction: Literal["mean", "sum", "none"] = "mean",
        use_sigmoid: bool = False,
    ) -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}.")
        self.use_target_weight = use_target_weight
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.use_sigmoid = use_sigmoid

    def forward(
        self, output: Tensor, target: Tensor, target_weight: Tensor | None = None
    ) -> Tensor:
        """output/target (N, K); target_weight (N, K) or (N,)."""
        if self.use_sigmoid:
            loss = F.binary_cross_entropy(output, target, reduction="none")
        else:
            loss = F.binary_cross_entropy_with_logits(output, target, reduction="none")
        if self.use_target_weight:
            if target_weight is None:
                raise ValueError("BCELoss(use_target_weight=True) needs target_weight.")
            if target_weight.dim() == 1:
                target_weight = target_weight[:, None]
            loss = loss * target_weight
        if self.reduction == "sum":
            loss = loss.sum()
        elif self.reduction == "mean":
            loss = loss.mean()
        return loss * self.loss_weight
