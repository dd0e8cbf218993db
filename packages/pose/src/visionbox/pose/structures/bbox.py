"""Bounding-box geometry of top-down pose estimation.

A box is x1y1x2y2 (N, 4) or centre and scale (N, 2) + (N, 2), ``scale`` being the box's
(width, height) times a padding factor. Warp matrices map the image to the model input.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = [
    "bbox_cs2xyxy",
    "bbox_xywh2xyxy",
    "bbox_xyxy2cs",
    "fix_aspect_ratio",
    "flip_bbox",
    "get_udp_warp_matrix",
    "get_warp_matrix",
]


def bbox_xywh2xyxy(bbox: np.ndarray) -> np.ndarray:
    """(..., 4) x, y, w, h -> x1, y1, x2, y2."""
    bbox = np.asarray(bbox, np.float32).copy()
    bbox[..., 2:4] += bbox[..., 0:2]
    return bbox


def bbox_xyxy2cs(bbox: np.ndarray, padding: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(N, 4) or (4,) x1y1x2y2 -> centre (N, 2) and scale (N, 2) = (w, h) * padding."""
    bbox = np.asarray(bbox, np.float32)
    centre = (bbox[..., 0:2] + bbox[..., 2:4]) * 0.5
    scale = (bbox[..., 2:4] - bbox[..., 0:2]) * padding
    return centre, scale


def bbox_cs2xyxy(center: np.ndarray, scale: np.ndarray, padding: float = 1.0) -> np.ndarray:
    """Centre (N, 2) and scale (N, 2) -> x1y1x2y2 (N, 4); the inverse of :func:`bbox_xyxy2cs`."""
    half = np.asarray(scale, np.float32) / padding * 0.5
    center = np.asarray(center, np.float32)
    return np.concatenate([center - half, center + half], axis=-1)


def fix_aspect_ratio(bbox_scale: np.ndarray, aspect_ratio: float) -> np.ndarray:
    """Enlarge (N, 2) box scales to the aspect ratio w / h without cutting the box."""
    w, h = bbox_scale[..., 0:1], bbox_scale[..., 1:2]
    wider = w > h * aspect_ratio
    return np.where(
        wider,
        np.concatenate([w, w / aspect_ratio], axis=-1),
        np.concatenate([h * aspect_ratio, h], axis=-1),
    ).astype(np.float32)


def flip_bbox(
    bbox: np.ndarray,
    image_size: tuple[int, int],
    bbox_format: Literal["xyxy", "center"] = "xyxy",
    direction: Literal["horizontal", "vertical", "diagonal"] = "horizontal",
) -> np.ndarray:
    """Flip boxes or box centres in an image of (w, h) pixels (pixel centres at integers)."""
    w, h = image_size
    flipped = np.asarray(bbox, np.float32).copy()
    axes = {"horizontal": [0], "vertical": [1], "diagonal": [0, 1]}[direction]
    for axis in axes:
        size = w if axis == 0 else h
        if bbox_format == "xyxy":
            lo, hi = flipped[..., axis].copy(), flipped[..., axis + 2].copy()
            flipped[..., axis] = size - 1 - hi
            flipped[..., axis + 2] = size - 1 - lo
        else:
            flipped[..., axis] = size - 1 - flipped[..., axis]
    return flipped


def _rotation(rot_deg: float) -> np.ndarray:
    rad = np.deg2rad(rot_deg)
    c, s = np.cos(rad), np.sin(rad)
    return np.array([[c, s], [-s, c]], np.float64)  # rotates the image by rot_deg counter-clockwise


def get_warp_matrix(
    center: np.ndarray,
    scale: np.ndarray,
    rot: float,
    output_size: tuple[int, int],
    shift: tuple[float, float] = (0.0, 0.0),
    inv: bool = False,
) -> np.ndarray:
    """(2, 3) affine matrix that maps the box (centre, scale, rotation in degrees) to an output of
    (w, h) pixels: the box centre goes to the output centre and the box width to ``w``.

    Args:
        shift: Shift of the box centre, as a fraction of the scale.
        inv: Return the output-to-image matrix instead.
    """
    center = np.asarray(center, np.float64) + np.asarray(scale, np.float64) * np.asarray(shift)
    factor = output_size[0] / float(np.asarray(scale).reshape(-1)[0])
    linear = factor * _rotation(rot)
    out_centre = np.array(output_size, np.float64) * 0.5
    offset = out_centre - linear @ center
    mat = np.concatenate([linear, offset[:, None]], axis=1)
    return _invert(mat) if inv else mat.astype(np.float32)


def get_udp_warp_matrix(
    center: np.ndarray, scale: np.ndarray, rot: float, output_size: tuple[int, int]
) -> np.ndarray:
    """The UDP warp: the box's ends map to the first and last output pixels, i.e. the scale
    factor is ``(output_size - 1) / scale`` on each axis."""
    scale = np.asarray(scale, np.float64).reshape(-1)
    factors = (np.asarray(output_size, np.float64) - 1) / scale
    linear = factors[:, None] * _rotation(rot)
    out_centre = (np.asarray(output_size, np.float64) - 1) * 0.5
    offset = out_centre - linear @ np.asarray(center, np.float64)
    return np.concatenate([linear, offset[:, None]], axis=1).astype(np.float32)


def _invert(mat: np.ndarray) -> np.ndarray:
    linear_inv = np.linalg.inv(mat[:, :2])
    return np.concatenate([linear_inv, -(linear_inv @ mat[:, 2:3])], axis=1).astype(np.float32)
