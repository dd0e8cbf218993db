"""``FilterAnnotations``: drop ground-truth instances that are too small (mmdet 3.x's name,
arguments and defaults)."""

from __future__ import annotations

import numpy as np

from visionbox.core.datasets.transforms import BaseTransform

from ...registry import TRANSFORMS

__all__ = ["FilterAnnotations"]

_KEYS = ("gt_bboxes", "gt_bboxes_labels", "gt_masks", "gt_ignore_flags", "gt_instances_ids")


@TRANSFORMS.register_module()
class FilterAnnotations(BaseTransform):
    """Keep instances whose box is wider and taller than ``min_gt_bbox_wh`` (and/or whose mask
    covers at least ``min_gt_mask_area`` pixels).

    Args:
        min_gt_bbox_wh: Minimum ``(width, height)``; a box must exceed both.
        min_gt_mask_area: Minimum mask area in pixels.
        by_box: Filter by box size.
        by_mask: Filter by mask area (needs ``gt_masks``).
        keep_empty: When no instance is left, return ``None`` (the dataset then draws another
            sample); when False, return the empty result.

    Keys: reads/writes ``gt_bboxes``, ``gt_bboxes_labels``, ``gt_masks``, ``gt_ignore_flags``,
    ``gt_instances_ids``.
    """

    def __init__(
        self,
        min_gt_bbox_wh: tuple[float, float] = (1, 1),
        min_gt_mask_area: int = 1,
        by_box: bool = True,
        by_mask: bool = False,
        keep_empty: bool = True,
    ) -> None:
        if not (by_box or by_mask):
            raise ValueError("FilterAnnotations: set by_box and/or by_mask")
        self.min_gt_bbox_wh = tuple(min_gt_bbox_wh)
        self.min_gt_mask_area = min_gt_mask_area
        self.by_box = by_box
        self.by_mask = by_mask
        self.keep_empty = keep_empty

    def transform(self, results: dict) -> dict | None:
        if "gt_bboxes" not in results:
            raise KeyError("FilterAnnotations needs gt_bboxes (add LoadAnnotations before it)")
        boxes = np.asarray(results["gt_bboxes"]).reshape(-1, 4)
        if len(boxes) == 0:
            return results
        keep = np.ones(len(boxes), dtype=bool)
        if self.by_box:
            keep &= (boxes[:, 2] - boxes[:, 0] > self.min_gt_bbox_wh[0]) & (
                boxes[:, 3] - boxes[:, 1] > self.min_gt_bbox_wh[1]
            )
        if self.by_mask:
            if "gt_masks" not in results:
                raise KeyError("FilterAnnotations(by_mask=True) needs gt_masks")
            keep &= np.asarray(results["gt_masks"].areas) >= self.min_gt_mask_area
        if not keep.any() and self.keep_empty:
            return None
        for key in _KEYS:
            if key in results:
                results[key] = results[key][keep]
        return results
