"""``RandomSampler`` and ``PseudoSampler``: choose the priors that enter the loss."""

from __future__ import annotations

import torch
from mmengine.structures import InstanceData
from torch import Tensor

from ....registry import TASK_UTILS
from ..assigners.assign_result import AssignResult
from .sampling_result import SamplingResult

__all__ = ["RandomSampler", "PseudoSampler"]


def _random_choice(candidates: Tensor, num: int) -> Tensor:
    """``num`` distinct random entries of the 1-D ``candidates``."""
    if candidates.numel() <= num:
        return candidates
    perm = torch.randperm(candidates.numel(), device=candidates.device)[:num]
    return candidates[perm]


@TASK_UTILS.register_module()
class RandomSampler:
    """Sample ``num`` priors, at most ``num * pos_fraction`` positives, uniformly at random.

    Args:
        num: Priors per image.
        pos_fraction: Largest share of positives.
        neg_pos_ub: At most ``neg_pos_ub * max(1, positives)`` negatives (< 0: no bound).
        add_gt_as_proposals: Prepend the ground-truth boxes as positive priors (R-CNN stage).
    """

    def __init__(
        self,
        num: int,
        pos_fraction: float,
        neg_pos_ub: int = -1,
        add_gt_as_proposals: bool = True,
    ) -> None:
        if num <= 0 or not 0 <= pos_fraction <= 1:
            raise ValueError(f"need num > 0 and 0 <= pos_fraction <= 1; got {num}, {pos_fraction}")
        self.num = num
        self.pos_fraction = pos_fraction
        self.neg_pos_ub = neg_pos_ub
        self.add_gt_as_proposals = add_gt_as_proposals

    def sample(
        self,
        assign_result: AssignResult,
        pred_instances: InstanceData,
        gt_instances: InstanceData,
    ) -> SamplingResult:
        """Sample among ``pred_instances.priors`` (P, 4) given their assignment."""
        priors = pred_instances.priors[:, :4]
        gt_bboxes, gt_labels = gt_instances.bboxes, gt_instances.labels
        gt_flags = priors.new_zeros((priors.shape[0],), dtype=torch.uint8)
        if self.add_gt_as_proposals and len(gt_bboxes) > 0:
            priors = torch.cat([gt_bboxes.to(priors.dtype), priors], dim=0)
            assign_result.add_gt_(gt_labels)
            gt_flags = torch.cat([gt_flags.new_ones(len(gt_bboxes)), gt_flags])
        num_pos = int(self.num * self.pos_fraction)
        pos_inds = _random_choice(torch.nonzero(assign_result.gt_inds > 0).flatten(), num_pos)
        num_neg = self.num - pos_inds.numel()
        if self.neg_pos_ub >= 0:
            num_neg = min(num_neg, int(self.neg_pos_ub * max(1, pos_inds.numel())))
        neg_inds = _random_choice(torch.nonzero(assign_result.gt_inds == 0).flatten(), num_neg)
        return SamplingResult(pos_inds, neg_inds, priors, gt_bboxes, assign_result, gt_flags)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num={self.num}, pos_fraction={self.pos_fraction})"


@TASK_UTILS.register_module()
class PseudoSampler:
    """Keep every positive and every negative prior (dense heads with focal loss)."""

    def sample(
        self,
        assign_result: AssignResult,
        pred_instances: InstanceData,
        gt_instances: InstanceData,
    ) -> SamplingResult:
        """All assigned positives and negatives of ``pred_instances.priors``."""
        priors = pred_instances.priors
        pos_inds = torch.nonzero(assign_result.gt_inds > 0).flatten()
        neg_inds = torch.nonzero(assign_result.gt_inds == 0).flatten()
        gt_flags = priors.new_zeros(priors.shape[0], dtype=torch.uint8)
        return SamplingResult(
            pos_inds,
            neg_inds,
            priors,
            gt_instances.bboxes,
            assign_result,
            gt_flags,
            avg_factor_with_neg=False,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
