"""Batched NMS on ``torchvision.ops`` and the multi-class NMS of detection heads.

``batched_nms`` runs one NMS per group (class or pyramid level) with mmcv's semantics and order;
``multiclass_nms`` turns (N, C) scores and (N, C, 4) or (N, 4) boxes into the kept detections.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torchvision.ops import nms as tv_nms

__all__ = ["batched_nms", "multiclass_nms", "check_nms_cfg"]

_NMS_TYPES = ("nms",)


def check_nms_cfg(nms_cfg: dict) -> float:
    """Return ``iou_threshold`` of ``dict(type='nms', iou_threshold=...)``; reject other types."""
    kind = nms_cfg.get("type", "nms")
    if kind not in _NMS_TYPES:
        raise ValueError(f"NMS type {kind!r} is not supported; use one of {_NMS_TYPES}.")
    unknown = set(nms_cfg) - {"type", "iou_threshold", "split_thr", "class_agnostic"}
    if unknown:
        raise KeyError(f"unknown NMS keys {sorted(unknown)}; allowed: type, iou_threshold")
    if "iou_threshold" not in nms_cfg:
        raise KeyError("the nms config needs iou_threshold")
    return float(nms_cfg["iou_threshold"])


def _nms_in_score_order(boxes: Tensor, scores: Tensor, iou_thr: float) -> Tensor:
    """Greedy NMS visiting boxes in the order of ``scores.sort(descending=True)``.

    That is the order of mmcv's NMS kernel (torch's default sort, which is not stable for more
    than 16 elements), so boxes of equal score are visited, kept and returned as mmdet 3.3 does.
    torchvision's own sort is stable, so on pre-sorted input it keeps this order.

    Args:
        boxes: (N, 4) x1y1x2y2.
        scores: (N,).

    Returns:
        (K,) indices of the kept boxes, in visiting order.
    """
    order = scores.sort(descending=True)[1]
    return order[tv_nms(boxes[order].float(), scores[order].float(), iou_thr)]


def batched_nms(
    boxes: Tensor, scores: Tensor, idxs: Tensor, nms_cfg: dict, class_agnostic: bool = False
) -> tuple[Tensor, Tensor]:
    """NMS within each group of ``idxs``, with mmcv's ``batched_nms`` semantics.

    Groups are separated by offsetting each box by ``idx * (max coordinate + 1)``. Below
    ``split_thr`` boxes (default 10000) one NMS runs on all of them; above it, one NMS per
    group and the survivors are sorted by score, as mmcv does. Ties keep mmcv's order.

    Args:
        boxes: (N, 4) x1y1x2y2.
        scores: (N,).
        idxs: (N,) group of each box (class or level).
        nms_cfg: ``dict(type='nms', iou_threshold=t[, split_thr, class_agnostic])``.
        class_agnostic: Ignore ``idxs``.

    Returns:
        ``(dets, keep)``: (K, 5) kept ``[x1, y1, x2, y2, score]`` by decreasing score, and (K,)
        their indices in the inputs.
    """
    iou_thr = check_nms_cfg(nms_cfg)
    class_agnostic = nms_cfg.get("class_agnostic", class_agnostic)
    if boxes.numel() == 0:
        return boxes.new_zeros((0, 5)), idxs.new_zeros((0,), dtype=torch.long)
    if class_agnostic:
        boxes_for_nms = boxes
    else:
        offsets = idxs.to(boxes) * (boxes.max() + torch.tensor(1).to(boxes))
        boxes_for_nms = boxes + offsets[:, None]
    if len(boxes) < nms_cfg.get("split_thr", 10000):
        keep = _nms_in_score_order(boxes_for_nms, scores, iou_thr)
    else:
        kept = torch.zeros(len(scores), dtype=torch.bool, device=scores.device)
        for group in torch.unique(idxs):  # one NMS per class or level, as mmcv
            members = (idxs == group).nonzero().view(-1)
            kept[members[_nms_in_score_order(boxes_for_nms[members], scores[members], iou_thr)]] = (
                True
            )
        keep = kept.nonzero().view(-1)
        keep = keep[scores[keep].sort(descending=True)[1]]
    return torch.cat([boxes[keep], scores[keep, None]], dim=-1), keep


def multiclass_nms(
    multi_bboxes: Tensor,
    multi_scores: Tensor,
    score_thr: float,
    nms_cfg: dict,
    max_num: int = -1,
) -> tuple[Tensor, Tensor, Tensor]:
    """Score threshold, per-class NMS and top-``max_num`` over all classes at once.

    Args:
        multi_bboxes: (N, C * 4) class-specific or (N, 4) shared boxes.
        multi_scores: (N, C + 1) scores; the last column (background) is dropped.
        score_thr: Keep scores above this.
        nms_cfg: NMS config.
        max_num: Detections kept (-1: all).

    Returns:
        ``(dets, labels, keep)``: (K, 5) boxes with scores, (K,) labels and the (K,) indices of
        the kept (box, class) pairs in the flattened (N * C) order.
    """
    num_classes = multi_scores.size(1) - 1
    if multi_bboxes.size(1) > 4:
        bboxes = multi_bboxes.reshape(multi_scores.size(0), -1, 4)
    else:
        bboxes = multi_bboxes[:, None].expand(multi_scores.size(0), num_classes, 4)
    scores = multi_scores[:, :-1]
    labels = torch.arange(num_classes, device=scores.device).expand_as(scores)
    bboxes, scores, labels = bboxes.reshape(-1, 4), scores.reshape(-1), labels.reshape(-1)
    valid = torch.nonzero(scores > score_thr).flatten()
    dets, keep = batched_nms(bboxes[valid], scores[valid], labels[valid], nms_cfg)
    if max_num > 0:
        dets, keep = dets[:max_num], keep[:max_num]
    return dets, labels[valid][keep], valid[keep]
