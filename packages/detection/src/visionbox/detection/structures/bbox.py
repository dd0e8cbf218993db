"""Box helpers on (N, 4) x1y1x2y2 pixel tensors: IoU/IoF, RoI packing, rescaling.

Shape shorthand: N, M boxes; R RoIs over a batch; B images.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor

__all__ = [
    "bbox_overlaps",
    "bbox2roi",
    "roi2bbox",
    "scale_boxes",
    "get_box_wh",
    "bbox_xyxy_to_cxcywh",
    "bbox_cxcywh_to_xyxy",
    "empty_box_as",
]


def bbox_overlaps(
    bboxes1: Tensor,
    bboxes2: Tensor,
    mode: Literal["iou", "iof", "giou"] = "iou",
    is_aligned: bool = False,
    eps: float = 1e-6,
) -> Tensor:
    """IoU (or IoF: intersection over the area of ``bboxes1``, or GIoU) of two box sets.

    Args:
        bboxes1: (N, 4) boxes.
        bboxes2: (M, 4) boxes (``is_aligned``: (N, 4)).
        mode: ``'iou'``, ``'iof'`` or ``'giou'``.
        is_aligned: Compare the i-th boxes of both sets only.
        eps: Added to the denominators.

    Returns:
        (N, M) overlaps, or (N,) when ``is_aligned``.
    """
    if mode not in ("iou", "iof", "giou"):
        raise ValueError(f"mode must be 'iou', 'iof' or 'giou', got {mode!r}")
    if bboxes1.size(-1) != 4 or bboxes2.size(-1) != 4:
        raise ValueError(
            f"boxes must be (..., 4); got {tuple(bboxes1.shape)}, {tuple(bboxes2.shape)}"
        )
    area1 = (bboxes1[..., 2] - bboxes1[..., 0]) * (bboxes1[..., 3] - bboxes1[..., 1])
    area2 = (bboxes2[..., 2] - bboxes2[..., 0]) * (bboxes2[..., 3] - bboxes2[..., 1])
    if is_aligned:
        lt = torch.max(bboxes1[..., :2], bboxes2[..., :2])
        rb = torch.min(bboxes1[..., 2:], bboxes2[..., 2:])
        union = area1 + area2
        enclose_lt = torch.min(bboxes1[..., :2], bboxes2[..., :2])
        enclose_rb = torch.max(bboxes1[..., 2:], bboxes2[..., 2:])
    else:
        lt = torch.max(bboxes1[..., :, None, :2], bboxes2[..., None, :, :2])
        rb = torch.min(bboxes1[..., :, None, 2:], bboxes2[..., None, :, 2:])
        union = area1[..., :, None] + area2[..., None, :]
        enclose_lt = torch.min(bboxes1[..., :, None, :2], bboxes2[..., None, :, :2])
        enclose_rb = torch.max(bboxes1[..., :, None, 2:], bboxes2[..., None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    overlap = wh[..., 0] * wh[..., 1]
    if mode == "iof":
        denom = area1 if is_aligned else area1[..., :, None].expand_as(overlap)
        return overlap / denom.clamp(min=eps)
    union = (union - overlap).clamp(min=eps)
    ious = overlap / union
    if mode == "iou":
        return ious
    enclose_wh = (enclose_rb - enclose_lt).clamp(min=0)
    enclose_area = (enclose_wh[..., 0] * enclose_wh[..., 1]).clamp(min=eps)
    return ious - (enclose_area - union) / enclose_area


def bbox2roi(bbox_list: Sequence[Tensor]) -> Tensor:
    """Pack per-image boxes into RoIs.

    Args:
        bbox_list: B tensors (N_i, 4+) of boxes.

    Returns:
        (sum N_i, 5) rows ``[image index, x1, y1, x2, y2]``.
    """
    rois = []
    for img_id, bboxes in enumerate(bbox_list):
        index = bboxes.new_full((bboxes.size(0), 1), img_id)
        rois.append(torch.cat([index, bboxes[:, :4]], dim=-1))
    return torch.cat(rois, 0)


def roi2bbox(rois: Tensor) -> list[Tensor]:
    """Split (R, 5) RoIs back into per-image (N_i, 4) boxes."""
    img_ids = rois[:, 0].long()
    count = int(img_ids.max().item()) + 1 if rois.numel() else 0
    return [rois[img_ids == i, 1:] for i in range(count)]


def scale_boxes(boxes: Tensor, scale_factor: Sequence[float]) -> Tensor:
    """Multiply (N, 4) boxes by ``(w_scale, h_scale)``."""
    w, h = float(scale_factor[0]), float(scale_factor[1])
    return boxes * boxes.new_tensor([w, h, w, h])


def get_box_wh(boxes: Tensor) -> tuple[Tensor, Tensor]:
    """Widths and heights (N,) of (N, 4) boxes."""
    return boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]


def bbox_xyxy_to_cxcywh(bbox: Tensor) -> Tensor:
    """(..., 4) x1y1x2y2 -> cx, cy, w, h."""
    x1, y1, x2, y2 = bbox.unbind(-1)
    return torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], dim=-1)


def bbox_cxcywh_to_xyxy(bbox: Tensor) -> Tensor:
    """(..., 4) cx, cy, w, h -> x1y1x2y2."""
    cx, cy, w, h = bbox.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)


def empty_box_as(tensor: Tensor) -> Tensor:
    """A (0, 4) box tensor on ``tensor``'s device and dtype."""
    return tensor.new_zeros((0, 4))
