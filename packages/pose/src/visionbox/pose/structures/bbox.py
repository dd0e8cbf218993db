"""Bounding-box geometry of top-down pose estimation.

A box is x1y1x2y2 (N, 4) or centre and scale (N, 2) + (N, 2), ``scale`` being the box's
(width, height) times a padding factor. Warp matrices map the image to the model input.
"""

from __future__ import annotations

import math
from typing import Literal

import cv2
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


def _rotate_point(point: np.ndarray, rad: float) -> np.ndarray:
    """(2,) ``point`` rotated by ``rad`` (counter-clockwise in x-right, y-up axes), float64."""
    c, s = np.cos(rad), np.sin(rad)
    return np.array([[c, -s], [s, c]]) @ point


def _third_point(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``b + (a - b)`` turned by 90 degrees: the third point that fixes the aspect ratio."""
    direction = a - b
    return b + np.r_[-direction[1], direction[0]]


def get_warp_matrix(
    center: np.ndarray,
    scale: np.ndarray,
    rot: float,
    output_size: tuple[int, int],
    shift: tuple[float, float] = (0.0, 0.0),
    inv: bool = False,
    fix_aspect_ratio: bool = True,
) -> np.ndarray:
    """(2, 3) float64 affine matrix that maps the box (centre, scale, rotation in degrees) to an
    output of (w, h) pixels: the box centre goes to the output centre and the box width to ``w``.

    As mmpose 1.3, the matrix is solved (``cv2.getAffineTransform``) from three float32 point
    pairs: the centres, the centres moved by half the width along the (rotated) x axis, and a
    third point at right angles (or along the y axis without ``fix_aspect_ratio``). It stays
    float64: a float32 cast moves about 1% of the warped pixel values by one level.

    Args:
        center: (2,) box centre (x, y).
        scale: (2,) box (w, h).
        shift: Shift of the box centre, as a fraction of the scale.
        inv: Return the output-to-image matrix instead.
        fix_aspect_ratio: Keep the aspect ratio (use the box width only).
    """
    shift = np.asarray(shift, np.float64)
    scale = np.asarray(scale)
    src_w, src_h = scale[:2]
    dst_w, dst_h = output_size[:2]
    rad = np.deg2rad(rot)
    moved = np.asarray(center) + scale * shift
    src = np.zeros((3, 2), np.float32)
    dst = np.zeros((3, 2), np.float32)
    src[0] = moved
    src[1] = moved + _rotate_point(np.array([src_w * -0.5, 0.0]), rad)
    dst[0] = [dst_w * 0.5, dst_h * 0.5]
    dst[1] = np.array([dst_w * 0.5, dst_h * 0.5]) + np.array([dst_w * -0.5, 0.0])
    if fix_aspect_ratio:
        src[2] = _third_point(src[0], src[1])
        dst[2] = _third_point(dst[0], dst[1])
    else:
        src[2] = moved + _rotate_point(np.array([0.0, src_h * -0.5]), rad)
        dst[2] = np.array([dst_w * 0.5, dst_h * 0.5]) + np.array([0.0, dst_h * -0.5])
    return cv2.getAffineTransform(dst, src) if inv else cv2.getAffineTransform(src, dst)


def get_udp_warp_matrix(
    center: np.ndarray, scale: np.ndarray, rot: float, output_size: tuple[int, int]
) -> np.ndarray:
    """The UDP warp: the box's ends map to the first and last output pixels, i.e. the scale
    factor is ``(output_size - 1) / scale`` on each axis.

    Written as mmpose 1.3 writes it (a float32 matrix from the closed form, with its rotation
    sense), so UDP inputs equal mmpose's.
    """
    cx2, cy2 = np.asarray(center)[:2] * 2  # mmpose's "input_size", in the centre's dtype
    scale = np.asarray(scale)
    rad = np.deg2rad(rot)
    c, s = math.cos(rad), math.sin(rad)
    sx = (output_size[0] - 1) / scale[0]
    sy = (output_size[1] - 1) / scale[1]
    mat = np.zeros((2, 3), np.float32)
    mat[0, 0] = c * sx
    mat[0, 1] = -s * sx
    mat[0, 2] = sx * (-0.5 * cx2 * c + 0.5 * cy2 * s + 0.5 * scale[0])
    mat[1, 0] = s * sy
    mat[1, 1] = c * sy
    mat[1, 2] = sy * (-0.5 * cx2 * s - 0.5 * cy2 * c + 0.5 * scale[1])
    return mat
