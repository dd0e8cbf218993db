"""``RandomCrop`` (mmdet 3.x) and ``Pad`` (mmcv 2.x)."""

from __future__ import annotations

import copy
from typing import Literal

import numpy as np

from ...registry import TRANSFORMS
from .base import INSTANCE_KEYS, KEYPOINT_KEYS, BaseTransform, clip_boxes, translate_boxes

__all__ = ["RandomCrop", "Pad"]

CropType = Literal["absolute", "absolute_range", "relative", "relative_range"]


def _as_array(boxes) -> np.ndarray:
    return boxes if isinstance(boxes, np.ndarray) else np.asarray(boxes.numpy())


@TRANSFORMS.register_module()
class RandomCrop(BaseTransform):
    """Crop a random window; boxes are moved and clipped, boxes left empty are dropped.

    Args:
        crop_size: ``(w, h)`` in pixels (``absolute``), a ``(min, max)`` pixel range
            (``absolute_range``), or ratios of the image's width and height (``relative``,
            ``relative_range``: each ratio drawn from ``[crop_size, 1]``).
        crop_type: How to read ``crop_size``.
        allow_negative_crop: Keep a crop that contains no box (otherwise return ``None`` so that
            the dataset draws another sample).
        recompute_bbox: Recompute boxes from the cropped masks.
        bbox_clip_border: Clip boxes to the crop.
    """

    def __init__(
        self,
        crop_size: tuple[int, int] | tuple[float, float],
        crop_type: CropType = "absolute",
        allow_negative_crop: bool = False,
        recompute_bbox: bool = False,
        bbox_clip_border: bool = True,
    ) -> None:
        allowed = ("absolute", "absolute_range", "relative", "relative_range")
        if crop_type not in allowed:
            raise ValueError(f"crop_type must be one of {allowed}, got {crop_type!r}.")
        if len(crop_size) != 2:
            raise ValueError(f"crop_size must be a pair, got {crop_size!r}.")
        if crop_type in ("absolute", "absolute_range"):
            if not (crop_size[0] > 0 and crop_size[1] > 0):
                raise ValueError(f"crop_size must be positive, got {crop_size!r}.")
            if crop_type == "absolute_range" and crop_size[0] > crop_size[1]:
                raise ValueError(f"absolute_range crop_size must be (min, max), got {crop_size!r}.")
        elif not (0 < crop_size[0] <= 1 and 0 < crop_size[1] <= 1):
            raise ValueError(f"relative crop_size must be in (0, 1], got {crop_size!r}.")
        self.crop_size = crop_size
        self.crop_type = crop_type
        self.allow_negative_crop = allow_negative_crop
        self.recompute_bbox = recompute_bbox
        self.bbox_clip_border = bbox_clip_border

    def _crop_hw(self, h: int, w: int) -> tuple[int, int]:
        cw, ch = self.crop_size
        if self.crop_type == "absolute":
            return min(int(ch), h), min(int(cw), w)
        if self.crop_type == "absolute_range":
            lo, hi = int(cw), int(ch)
            return (
                int(np.random.randint(min(h, lo), min(h, hi) + 1)),
                int(np.random.randint(min(w, lo), min(w, hi) + 1)),
            )
        if self.crop_type == "relative":
            return int(h * ch + 0.5), int(w * cw + 0.5)
        rw, rh = np.asarray([cw, ch]) + np.random.rand(2) * (1 - np.asarray([cw, ch]))
        return int(h * rh + 0.5), int(w * rw + 0.5)

    def transform(self, results: dict) -> dict | None:
        img = results["img"]
        h, w = img.shape[:2]
        crop_h, crop_w = self._crop_hw(h, w)
        y1 = int(np.random.randint(0, max(h - crop_h, 0) + 1))
        x1 = int(np.random.randint(0, max(w - crop_w, 0) + 1))
        y2, x2 = y1 + crop_h, x1 + crop_w
        shape = (crop_h, crop_w)

        if results.get("gt_bboxes") is not None:
            moved = translate_boxes(results["gt_bboxes"], (-x1, -y1))
            clipped = _as_array(clip_boxes(copy.deepcopy(moved), shape))
            valid = (clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])
            if not valid.any() and not self.allow_negative_crop:
                return None
            boxes = clip_boxes(moved, shape) if self.bbox_clip_border else moved
            results["gt_bboxes"] = boxes[valid]
            num = len(valid)
            for key in INSTANCE_KEYS:
                value = results.get(key)
                if value is not None and len(value) == num:
                    results[key] = value[valid]
            if results.get("gt_masks") is not None:
                masks = results["gt_masks"][np.flatnonzero(valid)]
                results["gt_masks"] = masks.crop(np.array([x1, y1, x2, y2]))
                if self.recompute_bbox:
                    results["gt_bboxes"] = results["gt_masks"].get_bboxes()
        elif results.get("gt_masks") is not None:
            results["gt_masks"] = results["gt_masks"].crop(np.array([x1, y1, x2, y2]))

        results["img"] = img[y1:y2, x1:x2, ...]
        results["img_shape"] = shape
        if results.get("gt_seg_map") is not None:
            results["gt_seg_map"] = results["gt_seg_map"][y1:y2, x1:x2]
        for key, vis_key in KEYPOINT_KEYS:
            if results.get(key) is None:
                continue
            kpts = np.array(results[key], dtype=np.float32, copy=True)
            kpts[..., 0] -= x1
            kpts[..., 1] -= y1
            results[key] = kpts
            if results.get(vis_key) is not None:
                inside = (
                    (kpts[..., 0] >= 0)
                    & (kpts[..., 0] <= crop_w)
                    & (kpts[..., 1] >= 0)
                    & (kpts[..., 1] <= crop_h)
                )
                vis = np.asarray(results[vis_key])
                results[vis_key] = np.where(inside, vis, np.zeros_like(vis))
        return results


@TRANSFORMS.register_module()
class Pad(BaseTransform):
    """Pad the image (and masks and segmentation map) at the bottom and right.

    Args:
        size: Fixed ``(w, h)`` to pad to.
        size_divisor: Pad each side up to a multiple of this (applied after ``size``).
        pad_to_square: Pad to a square of the longer side.
        pad_val: Value per key: ``dict(img=0, seg=255, masks=0)``; a number sets ``img`` only.
            ``img`` may be a per-channel tuple.
        padding_mode: ``'constant'``, ``'edge'``, ``'reflect'`` or ``'symmetric'`` (image only).
    """

    def __init__(
        self,
        size: tuple[int, int] | None = None,
        size_divisor: int | None = None,
        pad_to_square: bool = False,
        pad_val: float | dict = dict(img=0, seg=255),  # noqa: B006  (never mutated)
        padding_mode: Literal["constant", "edge", "reflect", "symmetric"] = "constant",
    ) -> None:
        if pad_to_square:
            if size is not None:
                raise ValueError("Pad: give `size` or `pad_to_square=True`, not both.")
        elif size is None and size_divisor is None:
            raise ValueError("Pad needs `size`, `size_divisor` or `pad_to_square=True`.")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"Unknown padding_mode {padding_mode!r}.")
        if isinstance(pad_val, (int, float)):
            pad_val = dict(img=pad_val, seg=255)
        unknown = set(pad_val) - {"img", "seg", "masks"}
        if unknown:
            raise ValueError(f"Pad pad_val keys must be img, seg or masks; got {sorted(unknown)}.")
        self.size = tuple(size) if size is not None else None
        self.size_divisor = size_divisor
        self.pad_to_square = pad_to_square
        self.pad_val = dict(pad_val)
        self.padding_mode = padding_mode

    def _target_hw(self, h: int, w: int) -> tuple[int, int]:
        if self.pad_to_square:
            th = tw = max(h, w)
        elif self.size is not None:
            tw, th = self.size
        else:
            th, tw = h, w
        if self.size_divisor is not None:
            d = self.size_divisor
            th, tw = int(np.ceil(th / d)) * d, int(np.ceil(tw / d)) * d
        if th < h or tw < w:
            raise ValueError(f"Pad size (w={tw}, h={th}) is smaller than the image (w={w}, h={h}).")
        return th, tw

    def transform(self, results: dict) -> dict:
        img = results["img"]
        h, w = img.shape[:2]
        th, tw = self._target_hw(h, w)
        widths = [(0, th - h), (0, tw - w)] + [(0, 0)] * (img.ndim - 2)
        if self.padding_mode == "constant":
            padded = np.empty((th, tw, *img.shape[2:]), dtype=img.dtype)
            padded[...] = np.asarray(self.pad_val.get("img", 0), dtype=img.dtype)
            padded[:h, :w] = img
        else:
            padded = np.pad(img, widths, mode=self.padding_mode)
        results["img"] = padded
        results["pad_shape"] = padded.shape
        results["pad_fixed_size"] = self.size
        results["pad_size_divisor"] = self.size_divisor
        results["img_shape"] = padded.shape[:2]
        if results.get("gt_seg_map") is not None:
            seg = results["gt_seg_map"]
            out = np.full((th, tw, *seg.shape[2:]), self.pad_val.get("seg", 255), dtype=seg.dtype)
            out[: seg.shape[0], : seg.shape[1]] = seg
            results["gt_seg_map"] = out
        if results.get("gt_masks") is not None:
            results["gt_masks"] = results["gt_masks"].pad((th, tw), self.pad_val.get("masks", 0))
        return results
