"""``AssignResult``: which ground-truth box each prior is matched to."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["AssignResult"]


class AssignResult:
    """The assignment of P priors to G ground-truth boxes.

    Args:
        num_gts: G.
        gt_inds: (P,) 0 = negative, -1 = ignored, i > 0 = matched to ground truth ``i - 1``.
        max_overlaps: (P,) IoU of each prior with its best ground truth.
        labels: (P,) class of the matched ground truth, -1 elsewhere.
    """

    def __init__(self, num_gts: int, gt_inds: Tensor, max_overlaps: Tensor, labels: Tensor) -> None:
        self.num_gts = num_gts
        self.gt_inds = gt_inds
        self.max_overlaps = max_overlaps
        self.labels = labels

    @property
    def num_preds(self) -> int:
        """P, the number of assigned priors."""
        return len(self.gt_inds)

    def add_gt_(self, gt_labels: Tensor) -> None:
        """Prepend the G ground-truth boxes themselves as positive priors."""
        self_inds = torch.arange(1, len(gt_labels) + 1, dtype=torch.long, device=gt_labels.device)
        self.gt_inds = torch.cat([self_inds, self.gt_inds])
        self.max_overlaps = torch.cat(
            [self.max_overlaps.new_ones(len(gt_labels)), self.max_overlaps]
        )
        self.labels = torch.cat([gt_labels.to(self.labels.dtype), self.labels])

    def __repr__(self) -> str:
        pos = int((self.gt_inds > 0).sum())
        return f"AssignResult(num_gts={self.num_gts}, num_preds={self.num_preds}, num_pos={pos})"
