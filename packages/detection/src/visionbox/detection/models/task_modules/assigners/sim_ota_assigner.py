"""``SimOTAAssigner``: the simplified optimal transport assignment of YOLOX (Ge et al., 2021,
https://arxiv.org/abs/2107.08430), with mmdet 3.x's arguments and defaults.

Shape shorthand: P priors (points), G ground-truth boxes, C classes, V candidate priors (those whose
centre lies inside a ground-truth box or inside its centre region).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor

from ....registry import TASK_UTILS
from .assign_result import AssignResult

__all__ = ["SimOTAAssigner", "dynamic_k_matching", "in_box_and_center"]

INF = 100000.0
EPS = 1.0e-7


def in_box_and_center(
    priors: Tensor, gt_bboxes: Tensor, center_radius: float
) -> tuple[Tensor, Tensor]:
    """Which priors lie in a box, and in a box *and* its centre region.

    The centre region of a box is the square of half-size ``center_radius * stride`` around the
    box centre (per prior, since strides differ between levels).

    Args:
        priors: (P, 4) ``[cx, cy, stride_w, stride_h]``.
        gt_bboxes: (G, 4) x1y1x2y2.
        center_radius: Half-size of the centre region in strides.

    Returns:
        ``(candidates, in_both)``: (P,) bool, the priors inside any box or any centre region; and
        (V, G) bool for those candidates, inside box g *and* inside its centre region.
    """
    x, y = priors[:, 0, None], priors[:, 1, None]
    sx, sy = priors[:, 2, None], priors[:, 3, None]
    in_box = (
        torch.stack(
            [x - gt_bboxes[:, 0], y - gt_bboxes[:, 1], gt_bboxes[:, 2] - x, gt_bboxes[:, 3] - y],
            dim=-1,
        ).amin(-1)
        > 0
    )
    cx = (gt_bboxes[:, 0] + gt_bboxes[:, 2]) / 2.0
    cy = (gt_bboxes[:, 1] + gt_bboxes[:, 3]) / 2.0
    rx, ry = center_radius * sx, center_radius * sy
    in_center = (
        torch.stack([x - (cx - rx), y - (cy - ry), (cx + rx) - x, (cy + ry) - y], dim=-1).amin(-1)
        > 0
    )
    candidates = in_box.any(1) | in_center.any(1)
    return candidates, in_box[candidates] & in_center[candidates]


def dynamic_k_matching(
    cost: Tensor, ious: Tensor, candidate_topk: int
) -> tuple[Tensor, Tensor, Tensor]:
    """Give each box its ``k`` cheapest candidates, ``k`` = the summed top IoUs (at least 1); a
    candidate claimed by several boxes keeps the cheapest one. No loop over boxes.

    Args:
        cost: (V, G) matching cost.
        ious: (V, G) IoU of every candidate's predicted box with every ground-truth box.
        candidate_topk: How many of the best IoUs decide ``k``.

    Returns:
        ``(matched, gt_inds, matched_ious)``: (V,) bool, the matched candidates; (M,) the box of
        each matched candidate; (M,) their IoU with it.
    """
    num_valid = cost.size(0)
    topk = min(candidate_topk, num_valid)
    dynamic_ks = ious.topk(topk, dim=0).values.sum(0).int().clamp(min=1)  # (G,)
    # rank[v, g]: position of candidate v in box g's list sorted by increasing cost.
    order = cost.argsort(dim=0, stable=True)
    rank = torch.empty_like(order)
    positions = torch.arange(num_valid, device=cost.device)[:, None].expand_as(order)
    rank.scatter_(0, order, positions)
    matching = rank < dynamic_ks[None, :]
    shared = matching.sum(1) > 1
    if shared.any():
        cheapest = cost[shared].argmin(1)
        matching[shared] = F.one_hot(cheapest, cost.size(1)).bool()
    matched = matching.any(1)
    gt_inds = matching[matched].float().argmax(1)
    matched_ious = ious[matched].gather(1, gt_inds[:, None]).squeeze(1)
    return matched, gt_inds, matched_ious


@TASK_UTILS.register_module()
class SimOTAAssigner:
    """Match priors to ground truth by the cost ``cls_weight * BCE(scores, one-hot) +
    iou_weight * -log(IoU) + INF * (outside box or centre region)``, each box taking its
    ``dynamic_k`` cheapest priors.

    Args:
        center_radius: Half-size of a box's centre region, in strides.
        candidate_topk: The number of best IoUs summed into a box's dynamic ``k``.
        iou_weight: Weight of the IoU cost.
        cls_weight: Weight of the classification cost.
        iou_calculator: Config of the IoU calculator.
    """

    def __init__(
        self,
        center_radius: float = 2.5,
        candidate_topk: int = 10,
        iou_weight: float = 3.0,
        cls_weight: float = 1.0,
        iou_calculator: dict = dict(type="BboxOverlaps2D"),  # noqa: B006 (read-only default)
    ) -> None:
        if candidate_topk < 1:
            raise ValueError(f"SimOTAAssigner: candidate_topk must be >= 1, got {candidate_topk}")
        self.center_radius = center_radius
        self.candidate_topk = candidate_topk
        self.iou_weight = iou_weight
        self.cls_weight = cls_weight
        self.iou_calculator = TASK_UTILS.build(iou_calculator)

    def assign(
        self,
        pred_instances: InstanceData,
        gt_instances: InstanceData,
        gt_instances_ignore: InstanceData | None = None,
    ) -> AssignResult:
        """Assign the priors of one image.

        Args:
            pred_instances: ``priors`` (P, 4) ``[cx, cy, stride_w, stride_h]``, ``bboxes`` (P, 4)
                decoded x1y1x2y2 predictions, ``scores`` (P, C) probabilities in [0, 1].
            gt_instances: ``bboxes`` (G, 4), ``labels`` (G,).
            gt_instances_ignore: Unused (SimOTA has no ignore regions); kept for the interface.

        Returns:
            ``gt_inds`` (P,) 0 negative / i + 1 matched to box i; ``max_overlaps`` (P,) the IoU
            with the matched box (-INF elsewhere); ``labels`` (P,) its class (-1 elsewhere).
        """
        gt_bboxes, gt_labels = gt_instances.bboxes, gt_instances.labels
        bboxes, scores, priors = pred_instances.bboxes, pred_instances.scores, pred_instances.priors
        num_gt, num_priors = gt_bboxes.size(0), bboxes.size(0)
        gt_inds = bboxes.new_zeros((num_priors,), dtype=torch.long)
        labels = bboxes.new_full((num_priors,), -1, dtype=torch.long)
        if num_gt == 0 or num_priors == 0:
            return AssignResult(num_gt, gt_inds, bboxes.new_zeros((num_priors,)), labels)
        candidates, in_both = in_box_and_center(priors, gt_bboxes, self.center_radius)
        if not candidates.any():
            return AssignResult(num_gt, gt_inds, bboxes.new_zeros((num_priors,)), labels)
        valid_boxes, valid_scores = bboxes[candidates], scores[candidates]
        ious = self.iou_calculator(valid_boxes, gt_bboxes)  # (V, G)
        iou_cost = -torch.log(ious + EPS)
        onehot = F.one_hot(gt_labels.long(), scores.size(-1)).to(torch.float32)  # (G, C)
        with torch.autocast(device_type=scores.device.type, enabled=False):
            p = valid_scores.float()[:, None, :].expand(-1, num_gt, -1)
            cls_cost = F.binary_cross_entropy(p, onehot[None].expand_as(p), reduction="none").sum(
                -1
            )
        cost = cls_cost * self.cls_weight + iou_cost * self.iou_weight + (~in_both) * INF
        matched, matched_gt, matched_ious = dynamic_k_matching(cost, ious, self.candidate_topk)
        cand_inds = torch.nonzero(candidates).flatten()[matched]
        gt_inds[cand_inds] = matched_gt + 1
        labels[cand_inds] = gt_labels[matched_gt].long()
        max_overlaps = bboxes.new_full((num_priors,), -INF, dtype=torch.float32)
        max_overlaps[cand_inds] = matched_ious.float()
        return AssignResult(num_gt, gt_inds, max_overlaps, labels)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(center_radius={self.center_radius}, "
            f"candidate_topk={self.candidate_topk}, iou_weight={self.iou_weight}, "
            f"cls_weight={self.cls_weight})"
        )
