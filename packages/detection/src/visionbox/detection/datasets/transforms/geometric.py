"""``RandomAffine``: random rotation, scaling, shear and translation of an image, its boxes and
masks (the geometric augmentation of YOLOX), with mmdet 3.x's name, arguments and defaults."""

from __future__ import annotations

import math

import cv2
import numpy as np

from visionbox.core.datasets.transforms import BaseTransform

from ...registry import TRANSFORMS
from .box_utils import boxes_inside, clip_xyxy, filter_instances, instance_arrays, project_boxes
from .mask_utils import check_masks, warp_masks

__all__ = ["RandomAffine", "affine_matrix"]


def affine_matrix(
    rotate_degree: float,
    scale: float,
    shear_x_degree: float,
    shear_y_degree: float,
    translate_x: float,
    translate_y: float,
) -> np.ndarray:
    """The 3x3 matrix ``translate @ shear @ rotate @ scale`` (about the origin)."""
    r = math.radians(rotate_degree)
    rotation = np.array(
        [[math.cos(r), -math.sin(r), 0.0], [math.sin(r), math.cos(r), 0.0], [0.0, 0.0, 1.0]]
    )
    scaling = np.diag([scale, scale, 1.0])
    shear = np.array(
        [
            [1.0, math.tan(math.radians(shear_x_degree)), 0.0],
            [math.tan(math.radians(shear_y_degree)), 1.0, 0.0],
            [0.0, 0.0, 1.0],
        ]
    )
    translation = np.array([[1.0, 0.0, translate_x], [0.0, 1.0, translate_y], [0.0, 0.0, 1.0]])
    return (translation @ shear @ rotation @ scaling).astype(np.float32)


@TRANSFORMS.register_module()
class RandomAffine(BaseTransform):
    """Warp the image by a random affine matrix; boxes become the enclosing boxes of their
    warped corners, clipped, and those left outside the output are dropped.

    Args:
        max_rotate_degree: Rotation drawn in ``[-max, max]`` degrees.
        max_translate_ratio: Translation drawn in ``[-r, r]`` times the output size.
        scaling_ratio_range: Scale drawn in this range.
        max_shear_degree: Shear angles drawn in ``[-max, max]`` degrees.
        border: ``(x, y)`` added on each side of the output size (negative after ``Mosaic``,
            to shrink the 2x canvas back).
        border_val: Fill value of uncovered pixels.
        bbox_clip_border: Clip boxes to the output.

    Keys: reads/writes ``img``, ``img_shape``, ``gt_bboxes``, ``gt_bboxes_labels``,
    ``gt_ignore_flags`` and ``gt_masks`` (bitmaps warped with nearest neighbours, polygon
    points mapped and clipped to the output).
    """

    def __init__(
        self,
        max_rotate_degree: float = 10.0,
        max_translate_ratio: float = 0.1,
        scaling_ratio_range: tuple[float, float] = (0.5, 1.5),
        max_shear_degree: float = 2.0,
        border: tuple[int, int] = (0, 0),
        border_val: tuple[int, int, int] = (114, 114, 114),
        bbox_clip_border: bool = True,
    ) -> None:
        if not 0 <= max_translate_ratio <= 1:
            raise ValueError(f"max_translate_ratio must be in [0, 1], got {max_translate_ratio}")
        if not 0 < scaling_ratio_range[0] <= scaling_ratio_range[1]:
            raise ValueError(
                f"scaling_ratio_range must be (low, high) with 0 < low <= high, got "
                f"{scaling_ratio_range}"
            )
        self.max_rotate_degree = max_rotate_degree
        self.max_translate_ratio = max_translate_ratio
        self.scaling_ratio_range = tuple(scaling_ratio_range)
        self.max_shear_degree = max_shear_degree
        self.border = tuple(border)
        self.border_val = tuple(border_val)
        self.bbox_clip_border = bbox_clip_border

    def _random_matrix(self, height: int, width: int) -> np.ndarray:
        rot, shear, trans = self.max_rotate_degree, self.max_shear_degree, self.max_translate_ratio
        return affine_matrix(
            np.random.uniform(-rot, rot),
            np.random.uniform(*self.scaling_ratio_range),
            np.random.uniform(-shear, shear),
            np.random.uniform(-shear, shear),
            np.random.uniform(-trans, trans) * width,
            np.random.uniform(-trans, trans) * height,
        )

    def transform(self, results: dict) -> dict:
        img = results["img"]
        masks = (
            check_masks(results, "RandomAffine") if results.get("gt_masks") is not None else None
        )
        height = img.shape[0] + self.border[1] * 2
        width = img.shape[1] + self.border[0] * 2
        if height <= 0 or width <= 0:
            raise ValueError(
                f"RandomAffine: border {self.border} leaves no output for an image of "
                f"{img.shape[:2]}"
            )
        matrix = self._random_matrix(height, width)
        results["img"] = cv2.warpPerspective(
            img, matrix, dsize=(width, height), borderValue=self.border_val
        )
        results["img_shape"] = results["img"].shape[:2]
        if masks is not None:
            results["gt_masks"] = warp_masks(masks, matrix, (height, width))
        inst = instance_arrays(results)
        if len(inst["gt_bboxes"]):
            boxes = project_boxes(inst["gt_bboxes"], matrix)
            if self.bbox_clip_border:
                boxes = clip_xyxy(boxes, height, width)
            results.update(inst)
            results["gt_bboxes"] = boxes
            filter_instances(results, boxes_inside(boxes, height, width))
        return results
