"""Batched NMS on ``torchvision.ops`` and the multi-class NMS of detection heads.

``batched_nms`` runs one NMS per group (class or pyramid level) in a single torchvision call;
``multiclass_nms`` turns (N, C) scores and (N, C, 4) or (N, 4) boxes into the kept detections.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torchvision.ops import batched_nms as tv_batched_nms

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


def batched_nms(
    boxes: Tensor, scores: Tensor, idxs: Tensor, nms_cfg: dict, class_agnostic: bool = False
) -> tuple[Tensor, Tensor]:
    """NMS within each group of ``idxs``.

    Args:
        boxes: (N, 4) x1y1x2y2.
        scores: (N,).
        idxs: (N,) group of each box (class or level).
        nms_cfg: ``dict(type='nms', iou_threshold=t)``; ``class_agnostic`` in it overrides.
        class_agnostic: Ignore ``idxs``.

    Returns:
        ``(dets, keep)``: (K, 5) kept ``[x1, y1, x2, y2, score]`` by decreasing score, and (K,)
        their indices in the inputs.
    """
    iou_thr = check_nms_cfg(nms_cfg)
    class_agnostic = nms_cfg.get("class_agnostic", class_agnostic)
    if boxes.numel() == 0:
        return boxes.new_zeros((0, 5)), idxs.new_zeros((0,), dtype=torch.long)
    groups = torch.zeros_like(idxs) if class_agnostic else idxs
    keep = tv_batched_nms(boxes.float(), scores.float(), groups, iou_thr)
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
