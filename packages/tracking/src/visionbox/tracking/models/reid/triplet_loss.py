"""``TripletLoss`` with batch-hard mining (Hermans et al., "In Defense of the Triplet Loss for
Person Re-Identification", 2017)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from visionbox.tracking.registry import MODELS

__all__ = ["TripletLoss"]


@MODELS.register_module()
class TripletLoss(nn.Module):
    """Batch-hard triplet loss: for every anchor, its farthest positive and nearest negative.

    Args:
        margin: Margin of the ranking loss.
        loss_weight: Weight of the loss.
        hard_mining: Batch-hard mining (the only mode).
    """

    def __init__(
        self, margin: float = 0.3, loss_weight: float = 1.0, hard_mining: bool = True
    ) -> None:
        super().__init__()
        if not hard_mining:
            raise ValueError("TripletLoss implements batch-hard mining only (hard_mining=True).")
        self.margin = float(margin)
        self.loss_weight = float(loss_weight)
        self.hard_mining = hard_mining
        self.ranking_loss = nn.MarginRankingLoss(margin=self.margin)

    def forward(self, inputs: Tensor, targets: Tensor) -> Tensor:
        """Loss of (N, D) embeddings with (N,) identity labels."""
        dist = torch.cdist(inputs, inputs).clamp(min=1e-12)
        same = targets[:, None] == targets[None, :]
        dist_ap = torch.where(same, dist, dist.new_full((), -1.0)).max(dim=1).values
        dist_an = torch.where(same, dist.new_full((), float("inf")), dist).min(dim=1).values
        valid = torch.isfinite(dist_an)
        if not valid.any():
            return inputs.sum() * 0.0
        y = torch.ones_like(dist_an[valid])
        return self.loss_weight * self.ranking_loss(dist_an[valid], dist_ap[valid], y)
