"""``DynamicSoftLabelAssigner``: the dynamic soft-label assignment of RTMDet (Lyu et al., 2022,
https://arxiv.org/abs/2212.07784), with mmdet 3.x's arguments and defaults.

Shape shorthand: P priors (points), G ground-truth boxes, C classes, V candidate priors (those
whose point lies inside some ground-truth box).

The cost of matching candidate v to box g is

    soft_cls(v, g) + iou_weight * -log(IoU(v, g)) + 10 ** (d(v, g) / stride_v - soft_center_radius)

where ``soft_cls`` is the BCE of the class logits against the one-hot label scaled by the IoU,
modulated by ``|IoU - p| ** 2`` (a quality focal term), and ``d`` the distance from the prior to
the box centre (the mask's centre of mass when the ground truth has masks). Every box then takes
its ``k`` cheapest candidates, ``k`` the sum of its ``topk`` best IoUs (SimOTA's dynamic k).
Everything is computed on (V, G) tensors at once.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor

from ....registry import TASK_UTILS
from .assign_result import AssignResult
from .sim_ota_assigner import dynamic_k_matching

__all__ = ["DynamicSoftLabelAssigner", "center_of_mass"]

INF = 100000000
EPS = 1.0e-7


def center_of_mass(masks: Tensor, eps: float = 1e-7) -> Tensor:
    """(G, H, W) binary masks -> (G, 2) ``(x, y)`` centres of mass, in pixels."""
    _, h, w = masks.shape
    masks = masks.float()
    ys = torch.arange(h, device=masks.device, dtype=masks.dtype)[:, None]
    xs = torch.arange(w, device=masks.device, dtype=masks.dtype)
    total = masks.sum(dim=(1, 2)).clamp(min=eps)
    cy = (masks * ys).sum(dim=(1, 2)) / total
    cx = (masks * xs).sum(dim=(1, 2)) / total
    return torch.stack([cx, cy], dim=1)


@TASK_UTILS.register_module()
class DynamicSoftLabelAssigner:
    """Match priors to ground truth by the soft-label cost above.

    Args:
        soft_center_radius: Radius (in strides) of the soft centre prior.
        topk: How many of a box's best IoUs decide its ``k``.
        iou_weight: Weight of the IoU cost.
        iou_calculator: Config of the IoU calculator.
    """

    def __init__(
        self,
        soft_center_radius: float = 3.0,
        topk: int = 13,
        iou_weight: float = 3.0,
        iou_calculator: dict = dict(type="BboxOverlaps2D"),  # noqa: B006 (read-only default)
    ) -> None:
        if topk < 1:
            raise ValueError(f"DynamicSoftLabelAssigner: topk must be >= 1, got {topk}")
        self.soft_center_radius = soft_center_radius
        self.topk = topk
        self.iou_weight = iou_weight
        self.iou_calculator = TASK_UTILS.build(iou_calculator)

    def assign(
        self,
        pred_instances: InstanceData,
        gt_instances: InstanceData,
        gt_instances_ignore: InstanceData | None = None,
    ) -> AssignResult:
        """Assign the priors of one image.

        Args:
            pred_instances: ``priors`` (P, 4) ``[x, y, stride_w, stride_h]``, ``bboxes`` (P, 4)
                decoded x1y1x2y2 predictions, ``scores`` (P, C) class logits.
            gt_instances: ``bboxes`` (G, 4), ``labels`` (G,) (and ``masks`` (G, H, W) for the
                centre of mass).
            gt_instances_ignore: Unused (no ignore regions); kept for the interface.

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
        points = priors[:, :2]
        deltas = torch.cat(
            [points[:, None] - gt_bboxes[:, :2], gt_bboxes[:, 2:] - points[:, None]], -1
        )
        valid = (deltas.amin(dim=-1) > 0).any(dim=1)  # (P,)
        if not valid.any():
            return AssignResult(num_gt, gt_inds, bboxes.new_zeros((num_priors,)), labels)
        if "masks" in gt_instances:
            masks = gt_instances.masks
            masks = masks if torch.is_tensor(masks) else masks.to_tensor(torch.bool, points.device)
            gt_center = center_of_mass(masks, eps=EPS)
        else:
            gt_center = (gt_bboxes[:, :2] + gt_bboxes[:, 2:]) / 2.0
        valid_priors = priors[valid]
        distance = (valid_priors[:, None, :2] - gt_center[None]).pow(2).sum(-1).sqrt()
        soft_center_prior = torch.pow(10, distance / valid_priors[:, 2:3] - self.soft_center_radius)
        ious = self.iou_calculator(bboxes[valid], gt_bboxes)  # (V, G)
        iou_cost = -torch.log(ious + EPS) * self.iou_weight
        logits = scores[valid][:, None, :].expand(-1, num_gt, -1)  # (V, G, C)
        onehot = F.one_hot(gt_labels.long(), scores.size(-1)).to(logits.dtype)  # (G, C)
        soft_label = onehot[None] * ious[..., None]
        scale = (soft_label - logits.sigmoid()).abs().pow(2.0)
        soft_cls_cost = (
            F.binary_cross_entropy_with_logits(logits, soft_label, reduction="none") * scale
        ).sum(-1)
        cost = soft_cls_cost + iou_cost + soft_center_prior
        matched, matched_gt, matched_ious = dynamic_k_matching(cost, ious, self.topk)
        pos_inds = torch.nonzero(valid).flatten()[matched]
        gt_inds[pos_inds] = matched_gt + 1
        labels[pos_inds] = gt_labels[matched_gt].long()
        max_overlaps = bboxes.new_full((num_priors,), -INF, dtype=torch.float32)
        max_overlaps[pos_inds] = matched_ious.float()
        return AssignResult(num_gt, gt_inds, max_overlaps, labels)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(soft_center_radius={self.soft_center_radius}, "
            f"topk={self.topk}, iou_weight={self.iou_weight})"
        )
