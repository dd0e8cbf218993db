"""``RandomCrop`` of mmseg 1.x: a crop of ``crop_size`` (h, w) in which no class takes more than
``cat_max_ratio`` of the labelled pixels (10 tries)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from visionbox.core.datasets.transforms import BaseTransform

from ...registry import TRANSFORMS

__all__ = ["RandomCrop"]


@TRANSFORMS.register_module()
class RandomCrop(BaseTransform):
    """Random crop of the image and every map in ``seg_fields``.

    Registered in the segmentation scope; core's (mmdet) ``RandomCrop`` takes ``(w, h)`` and
    boxes, this one ``(h, w)`` and ``cat_max_ratio``.

    Args:
        crop_size: ``(h, w)`` (an int means square); images smaller than it are not padded.
        cat_max_ratio: Largest share of one class among the labelled pixels of the crop.
        ignore_index: Label not counted by ``cat_max_ratio``.
    """

    def __init__(
        self, crop_size: int | Sequence[int], cat_max_ratio: float = 1.0, ignore_index: int = 255
    ) -> None:
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        if len(crop_size) != 2 or crop_size[0] <= 0 or crop_size[1] <= 0:
            raise ValueError(f"crop_size must be a positive (h, w), got {crop_size!r}.")
        self.crop_size = tuple(int(s) for s in crop_size)
        self.cat_max_ratio = cat_max_ratio
        self.ignore_index = ignore_index

    def crop_bbox(self, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """A random ``(y1, y2, x1, x2)`` window in an image of ``shape``."""
        margin_h = max(shape[0] - self.crop_size[0], 0)
        margin_w = max(shape[1] - self.crop_size[1], 0)
        y1 = int(np.random.randint(0, margin_h + 1))
        x1 = int(np.random.randint(0, margin_w + 1))
        return y1, y1 + self.crop_size[0], x1, x1 + self.crop_size[1]

    def _balanced(self, seg: np.ndarray) -> bool:
        labels, counts = np.unique(seg, return_counts=True)
        counts = counts[labels != self.ignore_index]
        return len(counts) > 1 and counts.max() / counts.sum() < self.cat_max_ratio

    def transform(self, results: dict) -> dict:
        img = results["img"]
        bbox = self.crop_bbox(img.shape)
        seg = results.get("gt_seg_map")
        if self.cat_max_ratio < 1.0 and seg is not None:
            for _ in range(10):
                y1, y2, x1, x2 = bbox
                if self._balanced(seg[y1:y2, x1:x2]):
                    break
                bbox = self.crop_bbox(img.shape)
        y1, y2, x1, x2 = bbox
        results["img"] = img[y1:y2, x1:x2, ...]
        results["img_shape"] = results["img"].shape[:2]
        for key in set(results.get("seg_fields", [])) | {"gt_seg_map"}:
            if results.get(key) is not None:
                results[key] = results[key][y1:y2, x1:x2]
        return results

    def __repr__(self) -> str:
        return f"RandomCrop(crop_size={self.crop_size}, cat_max_ratio={self.cat_max_ratio})"
