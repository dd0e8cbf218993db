"""``SamplingResult``: the positive and negative priors a sampler kept for one image."""

from __future__ import annotations

import torch
from torch import Tensor

from ..assigners.assign_result import AssignResult

__all__ = ["SamplingResult"]


class SamplingResult:
    """Sampled priors of one image.

    Args:
        pos_inds: (p,) indices of the positive priors in ``priors``.
        neg_inds: (n,) indices of the negative priors.
        priors: (P, 4) all priors (ground truth prepended when the sampler adds it).
        gt_bboxes: (G, 4) ground-truth boxes.
        assign_result: The assignment of ``priors``.
        gt_flags: (P,) 1 for priors that are ground-truth boxes.
        avg_factor_with_neg: ``avg_factor`` counts negatives too.

    Attributes:
        pos_priors / neg_priors: (p, 4) / (n, 4).
        pos_assigned_gt_inds: (p,) 0-based ground-truth index of each positive.
        pos_gt_bboxes: (p, 4) their boxes; pos_gt_labels: (p,) their classes.
    """

    def __init__(
        self,
        pos_inds: Tensor,
        neg_inds: Tensor,
        priors: Tensor,
        gt_bboxes: Tensor,
        assign_result: AssignResult,
        gt_flags: Tensor,
        avg_factor_with_neg: bool = True,
    ) -> None:
        self.pos_inds = pos_inds
        self.neg_inds = neg_inds
        self.num_pos = max(pos_inds.numel(), 1)
        self.num_neg = max(neg_inds.numel(), 1)
        self.avg_factor_with_neg = avg_factor_with_neg
        self.avg_factor = self.num_pos + self.num_neg if avg_factor_with_neg else self.num_pos
        self.pos_priors = priors[pos_inds]
        self.neg_priors = priors[neg_inds]
        self.pos_is_gt = gt_flags[pos_inds]
        self.num_gts = gt_bboxes.shape[0]
        self.pos_assigned_gt_inds = assign_result.gt_inds[pos_inds] - 1
        self.pos_gt_labels = assign_result.labels[pos_inds]
        if gt_bboxes.numel() == 0:
            self.pos_gt_bboxes = gt_bboxes.new_zeros((0, 4))
        else:
            self.pos_gt_bboxes = gt_bboxes.reshape(-1, 4)[self.pos_assigned_gt_inds.long()]

    @property
    def priors(self) -> Tensor:
        """(p + n, 4) positives then negatives."""
        return torch.cat([self.pos_priors, self.neg_priors])

    @property
    def bboxes(self) -> Tensor:
        """Alias of :attr:`priors` (mmdet 2.x name)."""
        return self.priors

    def __repr__(self) -> str:
        return (
            f"SamplingResult(num_pos={self.pos_inds.numel()}, num_neg={self.neg_inds.numel()}, "
            f"num_gts={self.num_gts})"
        )
