"""``MaxIoUAssigner``: match each prior to the ground truth it overlaps most (R-CNN rule).

With G ground-truth boxes and P priors:

1. every prior starts as ignored (-1);
2. priors whose best IoU is in ``[0, neg_iou_thr)`` (or inside a ``(lo, hi)`` pair) become
   negatives (0);
3. priors whose best IoU is ``>= pos_iou_thr`` take their best ground truth (1-based);
4. with ``match_low_quality``, each ground truth whose best IoU is ``>= min_pos_iou`` also takes
   the prior(s) it overlaps most (all of them with ``gt_max_assign_all``; a later ground truth
   wins a tie, as in mmdet).

Priors overlapping an ignored box by more than ``ignore_iof_thr`` (IoF) stay ignored.
Everything is one (G, P) IoU matrix and reductions over it; no loop over boxes.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from mmengine.structures import InstanceData

from ....registry import TASK_UTILS
from .assign_result import AssignResult

__all__ = ["MaxIoUAssigner"]


@TASK_UTILS.register_module()
class MaxIoUAssigner:
    """Assign priors to ground truth by IoU thresholds.

    Args:
        pos_iou_thr: IoU at or above which a prior is positive.
        neg_iou_thr: IoU below which a prior is negative, or a ``(lo, hi)`` range.
        min_pos_iou: Lowest IoU of a low-quality match.
        gt_max_assign_all: Give a ground truth every prior that ties its best IoU.
        ignore_iof_thr: IoF with an ignored box above which a prior is ignored (< 0: off).
        ignore_wrt_candidates: IoF over the prior's area (True) or the ignored box's.
        match_low_quality: Allow step 4 of the module docstring.
        gpu_assign_thr: Kept for mmdet configs (assignment runs on the priors' device).
        iou_calculator: Config of the IoU calculator.
    """

    def __init__(
        self,
        pos_iou_thr: float,
        neg_iou_thr: float | Sequence[float],
        min_pos_iou: float = 0.0,
        gt_max_assign_all: bool = True,
        ignore_iof_thr: float = -1,
        ignore_wrt_candidates: bool = True,
        match_low_quality: bool = True,
        gpu_assign_thr: float = -1,
        iou_calculator: dict | None = None,
    ) -> None:
        if isinstance(neg_iou_thr, (list, tuple)) and len(neg_iou_thr) != 2:
            raise ValueError(f"neg_iou_thr must be a number or a (lo, hi) pair, got {neg_iou_thr}")
        self.pos_iou_thr = pos_iou_thr
        self.neg_iou_thr = neg_iou_thr
        self.min_pos_iou = min_pos_iou
        self.gt_max_assign_all = gt_max_assign_all
        self.ignore_iof_thr = ignore_iof_thr
        self.ignore_wrt_candidates = ignore_wrt_candidates
        self.match_low_quality = match_low_quality
        self.gpu_assign_thr = gpu_assign_thr
        self.iou_calculator = TASK_UTILS.build(
            iou_calculator if iou_calculator is not None else dict(type="BboxOverlaps2D")
        )

    def assign(
        self,
        pred_instances: InstanceData,
        gt_instances: InstanceData,
        gt_instances_ignore: InstanceData | None = None,
    ) -> AssignResult:
        """Assign ``pred_instances.priors`` (P, 4) to ``gt_instances.bboxes`` (G, 4)/``labels``."""
        priors = pred_instances.priors
        gt_bboxes, gt_labels = gt_instances.bboxes, gt_instances.labels
        num_gts, num_priors = gt_bboxes.size(0), priors.size(0)
        gt_inds = priors.new_full((num_priors,), -1, dtype=torch.long)
        if num_gts == 0 or num_priors == 0:
            max_overlaps = priors.new_zeros((num_priors,))
            if num_gts == 0:
                gt_inds.zero_()
            labels = priors.new_full((num_priors,), -1, dtype=torch.long)
            return AssignResult(num_gts, gt_inds, max_overlaps, labels)

        overlaps = self.iou_calculator(gt_bboxes, priors)  # (G, P)
        ignored = None if gt_instances_ignore is None else gt_instances_ignore.get("bboxes", None)
        if self.ignore_iof_thr > 0 and ignored is not None and ignored.numel() > 0:
            if self.ignore_wrt_candidates:
                iof = self.iou_calculator(priors, ignored, mode="iof").max(dim=1).values
            else:
                iof = self.iou_calculator(ignored, priors, mode="iof").max(dim=0).values
            overlaps[:, iof > self.ignore_iof_thr] = -1

        max_overlaps, argmax = overlaps.max(dim=0)  # (P,)
        gt_max_overlaps, gt_argmax = overlaps.max(dim=1)  # (G,)
        if isinstance(self.neg_iou_thr, (int, float)):
            negative = (max_overlaps >= 0) & (max_overlaps < self.neg_iou_thr)
        else:
            lo, hi = self.neg_iou_thr
            negative = (max_overlaps >= lo) & (max_overlaps < hi)
        gt_inds[negative] = 0
        positive = max_overlaps >= self.pos_iou_thr
        gt_inds[positive] = argmax[positive] + 1

        if self.match_low_quality:
            good = gt_max_overlaps >= self.min_pos_iou  # (G,)
            if self.gt_max_assign_all:
                hits = (overlaps == gt_max_overlaps[:, None]) & good[:, None]  # (G, P)
                # The last ground truth (highest index) that claims a prior wins, as in mmdet.
                ranks = torch.arange(1, num_gts + 1, device=priors.device)[:, None] * hits
                claim = ranks.max(dim=0).values
                gt_inds = torch.where(claim > 0, claim, gt_inds)
            else:
                order = torch.arange(num_gts, device=priors.device)[good]
                # Later ground truths overwrite earlier ones on the same prior, as in mmdet.
                last = torch.full((num_priors,), -1, dtype=torch.long, device=priors.device)
                last.scatter_reduce_(0, gt_argmax[good], order, reduce="amax")
                gt_inds = torch.where(last >= 0, last + 1, gt_inds)

        labels = torch.full_like(gt_inds, -1)
        pos = gt_inds > 0
        labels[pos] = gt_labels[gt_inds[pos] - 1].long()
        return AssignResult(num_gts, gt_inds, max_overlaps, labels)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(pos_iou_thr={self.pos_iou_thr}, neg_iou_thr="
            f"{self.neg_iou_thr}, min_pos_iou={self.min_pos_iou})"
        )
