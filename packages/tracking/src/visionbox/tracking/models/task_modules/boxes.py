"""NumPy box helpers of the trackers: format conversions and pairwise IoU.

Shapes: T tracks, N detections; boxes are x1y1x2y2 pixels unless the name says ``cxcyah`` (centre
x, centre y, aspect ratio w / h, height), the measurement space of :class:`KalmanFilter`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bbox_overlap_pairs", "bbox_overlaps", "bbox_xyxy_to_cxcyah", "bbox_cxcyah_to_xyxy"]


#: (x1, y1, x2, y2) @ _XYXY_TO_CXCYWH = (cx, cy, w, h); the inverse maps (cx, cy, w, h) back.
#: Every product is by 0, +-0.5 or +-1, so one matrix product gives the same bits as the
#: element-wise formulas, in one NumPy call instead of a dozen.
_XYXY_TO_CXCYWH = np.array([[0.5, 0, -1, 0], [0, 0.5, 0, -1], [0.5, 0, 1, 0], [0, 0.5, 0, 1]])
_CXCYWH_TO_XYXY = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [-0.5, 0, 0.5, 0], [0, -0.5, 0, 0.5]])


def bbox_xyxy_to_cxcyah(bboxes: np.ndarray) -> np.ndarray:
    """(..., 4) x1y1x2y2 -> (..., 4) cx, cy, w / h, h (float64)."""
    out = np.asarray(bboxes, np.float64) @ _XYXY_TO_CXCYWH
    out[..., 2] /= np.maximum(out[..., 3], 1e-6)
    return out


def bbox_cxcyah_to_xyxy(bboxes: np.ndarray) -> np.ndarray:
    """(..., 4) cx, cy, w / h, h -> (..., 4) x1y1x2y2 (float64)."""
    cxcywh = np.array(bboxes, np.float64)
    cxcywh[..., 2] *= cxcywh[..., 3]
    return cxcywh @ _CXCYWH_TO_XYXY


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


#: Largest T * N for which :func:`bbox_overlap_pairs` measures every pair.
DENSE_PAIRS = 2500


def bbox_overlap_pairs(
    bboxes1: np.ndarray, bboxes2: np.ndarray, eps: float = 1e-6
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of (T, 4) and (N, 4) x1y1x2y2 boxes that intersect, with their IoU.

    Equal to the non-zero entries of :func:`bbox_overlaps`, without its (T, N) matrices: boxes
    of ``bboxes2`` sorted by x1 give each box of ``bboxes1`` the range of those that may reach
    it along x (``x1 < its x2`` and ``x1 > its x1 - the widest box``); only those pairs are
    measured. In a crowd of small boxes that is a few pairs per box instead of N. Small
    problems (T * N <= ``DENSE_PAIRS``) take the dense matrix, which costs fewer NumPy calls.

    Returns:
        ``(rows, cols, ious)``: (P,) indices into ``bboxes1`` and ``bboxes2`` (by row, then by
        x1 of ``bboxes2``) and the (P,) IoUs, all > 0.
    """
    num1, num2 = len(bboxes1), len(bboxes2)
    if num1 == 0 or num2 == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    if num1 * num2 <= DENSE_PAIRS:
        ious = bbox_overlaps(bboxes1, bboxes2, eps)
        rows, cols = np.nonzero(ious > 0)
        return rows, cols, ious[rows, cols]
    order = bboxes2[:, 0].argsort(kind="stable")
    x1a, y1a, x2a, y2a = bboxes1.T
    x1b, y1b, x2b, y2b = bboxes2[order].T  # sorted by x1
    width2 = x2b - x1b
    widest = max(float(np.maximum.reduce(width2)), 0.0)
    sorted_x1 = np.ascontiguousarray(x1b)  # searched twice: copied once
    lo = sorted_x1.searchsorted(x1a - widest, side="left")
    hi = sorted_x1.searchsorted(x2a, side="left")
    counts = np.maximum(hi - lo, 0)
    ends = counts.cumsum()
    total = int(ends[-1])
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    # candidate k of box i is the sorted box lo[i] + (k - first candidate of box i)
    rows = np.arange(num1).repeat(counts)
    cols = np.arange(total) + (lo - (ends - counts)).repeat(counts)
    iw = np.minimum(x2a[rows], x2b[cols]) - np.maximum(x1a[rows], x1b[cols])
    ih = np.minimum(y2a[rows], y2b[cols]) - np.maximum(y1a[rows], y1b[cols])
    hit = ((iw > 0) & (ih > 0)).nonzero()[0]
    rows, cols, inter = rows[hit], cols[hit], iw[hit] * ih[hit]
    area1 = (x2a - x1a) * (y2a - y1a)
    area2 = width2 * (y2b - y1b)
    return rows, order[cols], inter / np.maximum(area1[rows] + area2[cols] - inter, eps)
