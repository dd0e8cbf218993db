"""The transform base class and helpers shared by the transform families.

Transforms take a ``results`` dict and return it (or ``None`` to ask the dataset for another
sample), with the keys of OpenMMLab 3.x:

* ``img`` (H, W, C) or (H, W) array, BGR; ``img_shape`` / ``ori_shape`` ``(h, w)``; ``img_path``;
* ``gt_bboxes`` (N, 4) float32 x1y1x2y2 pixels (or a box object with mmdet's in-place methods
  ``rescale_``, ``clip_``, ``flip_``, ``translate_``), ``gt_bboxes_labels`` (N,),
  ``gt_ignore_flags`` (N,) bool, ``gt_instances_ids`` (N,);
* ``gt_masks`` (:class:`~visionbox.core.structures.BitmapMasks` or ``PolygonMasks``);
* ``gt_seg_map`` (H, W) integer label map;
* ``gt_keypoints`` (N, K, 2+) with ``gt_keypoints_visible`` (N, K), and the mmpose names
  ``keypoints`` / ``keypoints_visible``; ``flip_indices`` (K,) from the dataset's metainfo.

Every transform leaves the keys it does not use untouched.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

import numpy as np

__all__ = [
    "BaseTransform",
    "KEYPOINT_KEYS",
    "INSTANCE_KEYS",
    "scale_boxes",
    "clip_boxes",
    "flip_boxes",
    "translate_boxes",
]

#: Pairs of (keypoints key, visibility key) that geometric transforms update.
KEYPOINT_KEYS = (("gt_keypoints", "gt_keypoints_visible"), ("keypoints", "keypoints_visible"))
#: Per-instance array keys that are filtered together with ``gt_bboxes``.
INSTANCE_KEYS = (
    "gt_bboxes_labels",
    "gt_ignore_flags",
    "gt_instances_ids",
    "gt_keypoints",
    "gt_keypoints_visible",
    "keypoints",
    "keypoints_visible",
)


class BaseTransform(metaclass=ABCMeta):
    """Base of every VisionBox transform: ``transform(results) -> dict | None``."""

    def __call__(self, results: dict) -> dict | None:
        return self.transform(results)

    @abstractmethod
    def transform(self, results: dict) -> dict | None:
        """Transform ``results`` in place and return it (``None`` drops the sample)."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


def _is_array(boxes: Any) -> bool:
    return isinstance(boxes, np.ndarray)


def scale_boxes(boxes: Any, scale_factor: tuple[float, float]) -> Any:
    """Scale (N, 4) x1y1x2y2 boxes by ``(w_scale, h_scale)``."""
    if not _is_array(boxes):
        boxes.rescale_(scale_factor)
        return boxes
    w_scale, h_scale = scale_factor
    return (boxes * np.array([w_scale, h_scale, w_scale, h_scale], dtype=boxes.dtype)).astype(
        boxes.dtype, copy=False
    )


def clip_boxes(boxes: Any, img_shape: tuple[int, int]) -> Any:
    """Clip (N, 4) x1y1x2y2 boxes to an image of ``img_shape = (h, w)``."""
    if not _is_array(boxes):
        boxes.clip_(img_shape)
        return boxes
    h, w = img_shape[:2]
    out = boxes.copy()
    out[:, 0::2] = out[:, 0::2].clip(0, w)
    out[:, 1::2] = out[:, 1::2].clip(0, h)
    return out


def flip_boxes(boxes: Any, img_shape: tuple[int, int], direction: str) -> Any:
    """Flip (N, 4) x1y1x2y2 boxes: ``x -> w - x`` horizontally, ``y -> h - y`` vertically."""
    if not _is_array(boxes):
        boxes.flip_(img_shape, direction)
        return boxes
    h, w = img_shape[:2]
    out = boxes.copy()
    if direction in ("horizontal", "diagonal"):
        out[:, 0] = w - boxes[:, 2]
        out[:, 2] = w - boxes[:, 0]
    if direction in ("vertical", "diagonal"):
        out[:, 1] = h - boxes[:, 3]
        out[:, 3] = h - boxes[:, 1]
    return out


def translate_boxes(boxes: Any, offset: tuple[float, float]) -> Any:
    """Move (N, 4) x1y1x2y2 boxes by ``offset = (dx, dy)``."""
    if not _is_array(boxes):
        boxes.translate_(offset)
        return boxes
    dx, dy = offset
    return boxes + np.array([dx, dy, dx, dy], dtype=boxes.dtype)
