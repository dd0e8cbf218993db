"""Losses of quasi-dense similarity learning (Pang et al., QDTrack, CVPR 2021).

Shapes: P key-frame positives, R reference-frame samples; ``label`` (P, R) is 1 where both
boxes belong to the same object.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from visionbox.tracking.registry import MODELS

__all__ = ["MarginL2Loss", "MultiPosCrossEntropyLoss"]

_REDUCTIONS = ("none", "mean", "sum")


def _reduce(loss: Tensor, reduction: str, avg_factor: float | Tensor | None) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if avg_factor is None:
        return loss.mean()
    return loss.sum() / (avg_factor + torch.finfo(torch.float32).eps)


@MODELS.register_module()
class MultiPosCrossEntropyLoss(nn.Module):
    """Cross-entropy with several positives per row:
    ``log(1 + sum_{pos, neg} exp(s_neg - s_pos))`` for each key box.

    Args:
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Weight of the loss.
    """

    def __init__(self, reduction: str = "mean", loss_weight: float = 1.0) -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(
        self,
        cls_score: Tensor,
        label: Tensor,
        weight: Tensor | None = None,
        avg_factor: float | Tensor | None = None,
        reduction_override: str | None = None,
    ) -> Tensor:
        """(P, R) similarities and 0/1 labels -> loss (per row with ``'none'``)."""
        if cls_score.shape != label.shape:
            raise ValueError(
                f"cls_score {tuple(cls_score.shape)} and label {tuple(label.shape)} differ"
            )
        reduction = reduction_override or self.reduction
        pos = label >= 1
        inf = torch.finfo(cls_score.dtype).max / 4
        pred_pos = torch.where(pos, cls_score, cls_score.new_full((), inf))
        pred_neg = torch.where(~pos, cls_score, cls_score.new_full((), -inf))
        diff = (pred_neg[:, None, :] - pred_pos[:, :, None]).flatten(1)
        diff = torch.cat([diff, diff.new_zeros(len(diff), 1)], dim=1)
        loss = torch.logsumexp(diff, dim=1)
        if weight is not None:
            loss = loss * weight.float()
        return self.loss_weight * _reduce(loss, reduction, avg_factor)


@MODELS.register_module()
class MarginL2Loss(nn.Module):
    """L2 loss of cosine similarities towards 0/1 targets with margins and negative sampling.

    Args:
        neg_pos_ub: At most this many negatives per positive (<= 0: all).
        pos_margin: Subtracted from the similarities of positives (when > 0).
        neg_margin: Subtracted from the similarities of negatives (when > 0).
        hard_mining: Keep the costliest negatives (else random ones).
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Weight of the loss.
    """

    def __init__(
        self,
        neg_pos_ub: int = -1,
        pos_margin: float = -1,
        neg_margin: float = -1,
        hard_mining: bool = False,
        reduction: str = "mean",
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        self.neg_pos_ub = neg_pos_ub
        self.pos_margin = pos_margin
        self.neg_margin = neg_margin
        self.hard_mining = hard_mining
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(
        self,
        pred: Tensor,
        target: Tensor,
        weight: Tensor | None = None,
        avg_factor: float | Tensor | None = None,
        reduction_override: str | None = None,
    ) -> Tensor:
        """(P, R) cosine similarities and targets (1 same, 0 different, < 0 ignored) -> loss."""
        reduction = reduction_override or self.reduction
        pred, weight, avg_factor = self.update_weight(pred, target, weight, avg_factor)
        loss = (pred - target.float()).pow(2) * weight.float()
        return self.loss_weight * _reduce(loss, reduction, avg_factor)

    def update_weight(
        self, pred: Tensor, target: Tensor, weight: Tensor | None, avg_factor: float | Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Apply margins, drop ignored pairs and sample negatives; returns the new average."""
        weight = (
            target.new_ones(target.shape, dtype=torch.float)
            if weight is None
            else weight.float().clone()
        )
        invalid = target < 0
        pred = pred.masked_fill(invalid, 0)
        weight[invalid] = 0
        pos, neg = target == 1, target == 0
        if self.pos_margin > 0:
            pred = torch.where(pos, pred - self.pos_margin, pred)
        if self.neg_margin > 0:
            pred = torch.where(neg, pred - self.neg_margin, pred)
        pred = pred.clamp(0, 1)
        num_pos, num_neg = int(pos.sum()), int(neg.sum())
        if self.neg_pos_ub > 0 and num_neg / (num_pos + 1e-6) > self.neg_pos_ub:
            keep = int(num_pos * self.neg_pos_ub)
            neg_idx = neg.nonzero()
            if self.hard_mining:
                costs = (pred - target.float()).pow(2)[neg_idx[:, 0], neg_idx[:, 1]].detach()
                chosen = neg_idx[costs.topk(keep).indices]
            else:
                chosen = neg_idx[torch.randperm(len(neg_idx), device=pred.device)[:keep]]
            kept = torch.zeros_like(neg)
            kept[chosen[:, 0], chosen[:, 1]] = True
            weight[neg & ~kept] = 0
        return pred, weight, (weight > 0).sum()
