"""Box helpers of the mixing and affine transforms: ``(N, 4)`` float32 x1y1x2y2 arrays."""

from __future__ import annotations

import numpy as np

__all__ = ["boxes_inside", "clip_xyxy", "filter_instances", "instance_arrays", "project_boxes"]

#: Per-instance keys the mixing transforms carry along with ``gt_bboxes``.
_INSTANCE_KEYS = ("gt_bboxes_labels", "gt_ignore_flags")


def clip_xyxy(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """(N, 4) boxes clipped to ``[0, width] x [0, height]``."""
    out = boxes.copy()
    out[:, 0::2] = out[:, 0::2].clip(0, width)
    out[:, 1::2] = out[:, 1::2].clip(0, height)
    return out


def boxes_inside(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """(N,) bool: the boxes that overlap the image (mmdet's ``is_inside``)."""
    return (boxes[:, 0] < width) & (boxes[:, 1] < height) & (boxes[:, 2] > 0) & (boxes[:, 3] > 0)


def project_boxes(boxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The enclosing boxes of the (N, 4) boxes' corners under a 3x3 homography."""
    if len(boxes) == 0:
        return boxes.reshape(0, 4).astype(np.float32)
    x1, y1, x2, y2 = boxes.T
    corners = np.stack([x1, y1, x2, y1, x1, y2, x2, y2], -1).reshape(-1, 4, 2)
    ones = np.ones((*corners.shape[:2], 1), dtype=np.float64)
    warped = np.concatenate([corners, ones], -1) @ matrix.T.astype(np.float64)
    xy = warped[..., :2] / warped[..., 2:3]
    return np.concatenate([xy.min(1), xy.max(1)], -1).astype(np.float32)


def instance_arrays(results: dict) -> dict[str, np.ndarray]:
    """``gt_bboxes`` (N, 4) float32 and the per-instance arrays of ``results`` (defaults when
    missing: labels 0, ignore flags False)."""
    boxes = np.asarray(results.get("gt_bboxes", np.zeros((0, 4))), dtype=np.float32).reshape(-1, 4)
    num = len(boxes)
    out = {"gt_bboxes": boxes}
    out["gt_bboxes_labels"] = np.asarray(
        results.get("gt_bboxes_labels", np.zeros(num, dtype=np.int64))
    )
    out["gt_ignore_flags"] = np.asarray(
        results.get("gt_ignore_flags", np.zeros(num, dtype=bool)), dtype=bool
    )
    return out


def filter_instances(results: dict, keep: np.ndarray) -> None:
    """Keep the instances of ``results`` where ``keep`` is true (boxes, masks and per-instance
    keys)."""
    results["gt_bboxes"] = results["gt_bboxes"][keep]
    if results.get("gt_masks") is not None:
        results["gt_masks"] = results["gt_masks"][np.asarray(keep)]
    for key in _INSTANCE_KEYS:
        if key in results:
            results[key] = results[key][keep]
