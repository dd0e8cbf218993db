"""NumPy box helpers of the trackers: format conversions and pairwise IoU.

Shapes: T tracks, N detections; boxes are x1y1x2y2 pixels unless the name says ``cxcyah`` (centre
x, centre y, aspect ratio w / h, height), the measurement space of :class:`KalmanFilter`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bbox_overlaps", "bbox_xyxy_to_cxcyah", "bbox_cxcyah_to_xyxy"]


def bbox_xyxy_to_cxcyah(bboxes: np.ndarray) -> np.ndarray:
    """(..., 4) x1y1x2y2 -> (..., 4) cx, cy, w / h, h."""
    w = bboxes[..., 2] - bboxes[..., 0]
    h = bboxes[..., 3] - bboxes[..., 1]
    cx = (bboxes[..., 0] + bboxes[..., 2]) * 0.5
    cy = (bboxes[..., 1] + bboxes[..., 3]) * 0.5
    return np.stack([cx, cy, w / np.maximum(h, 1e-6), h], axis=-1)


def bbox_cxcyah_to_xyxy(bboxes: np.ndarray) -> np.ndarray:
    """(..., 4) cx, cy, w / h, h -> (..., 4) x1y1x2y2."""
    h = bboxes[..., 3]
    w = bboxes[..., 2] * h
    cx, cy = bboxes[..., 0], bboxes[..., 1]
    return np.stack([cx - w * 0.5, cy - h * 0.5, cx + w * 0.5, cy + h * 0.5], axis=-1)


def bbox_overlaps(bboxes1: np.ndarray, bboxes2: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Pairwise IoU of (T, 4) and (N, 4) x1y1x2y2 boxes -> (T, N)."""
    b1 = bboxes1[:, None, :]
    b2 = bboxes2[None, :, :]
    iw = np.clip(np.minimum(b1[..., 2], b2[..., 2]) - np.maximum(b1[..., 0], b2[..., 0]), 0, None)
    ih = np.clip(np.minimum(b1[..., 3], b2[..., 3]) - np.maximum(b1[..., 1], b2[..., 1]), 0, None)
    inter = iw * ih
    area1 = (bboxes1[:, 2] - bboxes1[:, 0]) * (bboxes1[:, 3] - bboxes1[:, 1])
    area2 = (bboxes2[:, 2] - bboxes2[:, 0]) * (bboxes2[:, 3] - bboxes2[:, 1])
    union = area1[:, None] + area2[None, :] - inter
    return inter / np.maximum(union, eps)
