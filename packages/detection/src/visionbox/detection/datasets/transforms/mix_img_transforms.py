"""Multi-image augmentations of YOLOX (Ge et al., 2021, https://arxiv.org/abs/2107.08430):
``Mosaic`` (four images on a 2x canvas) and ``MixUp`` (blend with a second image), with mmdet 3.x's
names, arguments and defaults.

Both read the extra images from ``results['mix_results']``, which ``MultiImageMixDataset`` fills
using the transform's ``get_indexes(dataset)``. Boxes are (N, 4) float32 x1y1x2y2 arrays;
``gt_masks`` (core's BitmapMasks or PolygonMasks), when present, are resized, cropped, flipped and
placed exactly as the pixels are.
"""

from __future__ import annotations

import copy

import cv2
import numpy as np

from visionbox.core.datasets.transforms import BaseTransform

from ...registry import TRANSFORMS
from .box_utils import boxes_inside, clip_xyxy, filter_instances, instance_arrays
from .mask_utils import check_masks, concat_masks, paste_masks

__all__ = ["MixUp", "Mosaic"]


def _resize(img: np.ndarray, width: int, height: int) -> np.ndarray:
    if img.shape[1] == width and img.shape[0] == height:
        return img
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)


def _canvas(shape_hw: tuple[int, int], like: np.ndarray, pad_val: float) -> np.ndarray:
    shape = (*shape_hw, like.shape[2]) if like.ndim == 3 else shape_hw
    return np.full(shape, pad_val, dtype=like.dtype)


def _check_scale(name: str, img_scale) -> tuple[int, int]:
    if not isinstance(img_scale, tuple) or len(img_scale) != 2:
        raise TypeError(f"{name}: img_scale must be a (width, height) tuple, got {img_scale!r}")
    return int(img_scale[0]), int(img_scale[1])


@TRANSFORMS.register_module()
class Mosaic(BaseTransform):
    """Paste the image and three others around a random centre of a (2h, 2w) canvas.

    Each image is resized to fit ``img_scale`` (keeping its ratio) and placed in one quadrant:
    top-left, top-right, bottom-left, bottom-right of the centre, cropped at the canvas border.

    Args:
        img_scale: ``(width, height)``; the canvas is twice as large.
        center_ratio_range: The centre is drawn in this range times ``img_scale``.
        bbox_clip_border: Clip boxes to the canvas.
        pad_val: Value of the canvas outside the images.
        prob: Probability of applying the transform.

    Keys: reads ``img``, ``gt_bboxes``, ``gt_bboxes_labels``, ``gt_ignore_flags``, ``gt_masks``
    (optional) and ``mix_results`` (3 results); writes ``img`` (2h, 2w[, C]), ``img_shape`` and
    the instances.
    """

    def __init__(
        self,
        img_scale: tuple[int, int] = (640, 640),
        center_ratio_range: tuple[float, float] = (0.5, 1.5),
        bbox_clip_border: bool = True,
        pad_val: float = 114.0,
        prob: float = 1.0,
    ) -> None:
        self.img_scale = _check_scale("Mosaic", img_scale)
        if not 0 <= prob <= 1:
            raise ValueError(f"Mosaic: prob must be in [0, 1], got {prob}")
        self.center_ratio_range = tuple(center_ratio_range)
        self.bbox_clip_border = bbox_clip_border
        self.pad_val = pad_val
        self.prob = prob

    def get_indexes(self, dataset) -> list[int]:
        """Three random indices of ``dataset`` for the other quadrants."""
        return [int(np.random.randint(0, len(dataset))) for _ in range(3)]

    def _placement(
        self, quadrant: int, center: tuple[int, int], size_wh: tuple[int, int]
    ) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]]:
        """Paste (on the canvas) and crop (in the image) rectangles ``x1, y1, x2, y2``."""
        (cx, cy), (w, h) = center, size_wh
        cw, ch = 2 * self.img_scale[0], 2 * self.img_scale[1]
        left, top = quadrant in (0, 2), quadrant in (0, 1)
        x1, x2 = (max(cx - w, 0), cx) if left else (cx, min(cx + w, cw))
        y1, y2 = (max(cy - h, 0), cy) if top else (cy, min(cy + h, ch))
        crop_x1 = w - (x2 - x1) if left else 0
        crop_y1 = h - (y2 - y1) if top else 0
        crop = (crop_x1, crop_y1, crop_x1 + (x2 - x1), crop_y1 + (y2 - y1))
        return (x1, y1, x2, y2), crop

    def transform(self, results: dict) -> dict:
        if np.random.uniform(0, 1) > self.prob:
            return results
        mix = results.get("mix_results")
        if mix is None or len(mix) != 3:
            raise KeyError(
                "Mosaic needs 'mix_results' with 3 results: wrap the dataset in "
                "MultiImageMixDataset"
            )
        w, h = self.img_scale
        canvas = _canvas((2 * h, 2 * w), results["img"], self.pad_val)
        center = (
            int(np.random.uniform(*self.center_ratio_range) * w),
            int(np.random.uniform(*self.center_ratio_range) * h),
        )
        parts: list[dict[str, np.ndarray]] = []
        with_masks = results.get("gt_masks") is not None
        masks = []
        for quadrant, patch in enumerate([results, *mix]):
            img = patch["img"]
            ratio = min(h / img.shape[0], w / img.shape[1])
            img = _resize(img, int(img.shape[1] * ratio), int(img.shape[0] * ratio))
            (x1, y1, x2, y2), (cx1, cy1, cx2, cy2) = self._placement(
                quadrant, center, (img.shape[1], img.shape[0])
            )
            canvas[y1:y2, x1:x2] = img[cy1:cy2, cx1:cx2]
            inst = instance_arrays(patch)
            shift = np.array([x1 - cx1, y1 - cy1] * 2, dtype=np.float32)
            inst["gt_bboxes"] = inst["gt_bboxes"] * np.float32(ratio) + shift
            parts.append(inst)
            if with_masks:
                moved = check_masks(patch, "Mosaic").resize(img.shape[:2])
                moved = moved.crop(np.array([cx1, cy1, cx2, cy2]))
                masks.append(paste_masks(moved, canvas.shape[:2], x1, y1))
        out = {k: np.concatenate([p[k] for p in parts], 0) for k in parts[0]}
        if with_masks:
            out["gt_masks"] = concat_masks(masks)
        if self.bbox_clip_border:
            out["gt_bboxes"] = clip_xyxy(out["gt_bboxes"], 2 * h, 2 * w)
        results.update(out)
        filter_instances(results, boxes_inside(out["gt_bboxes"], 2 * h, 2 * w))
        results["img"] = canvas
        results["img_shape"] = canvas.shape[:2]
        return results

    def __repr__(self) -> str:
        return (
            f"Mosaic(img_scale={self.img_scale}, center_ratio_range={self.center_ratio_range}, "
            f"pad_val={self.pad_val}, prob={self.prob})"
        )


@TRANSFORMS.register_module()
class MixUp(BaseTransform):
    """Blend the image 50/50 with another one, resized to fit ``img_scale``, jittered in scale by
    ``ratio_range``, maybe flipped, and cropped at a random offset to the image's size.

    Args:
        img_scale: ``(width, height)`` the other image is fitted into first.
        ratio_range: Scale jitter of the other image.
        flip_ratio: Threshold of the horizontal flip (flipped when a uniform draw exceeds it).
        pad_val: Value of padded pixels.
        max_iters: Tries to find another image with boxes.
        bbox_clip_border: Clip boxes to the image.

    Keys: reads ``img``, the instances (``gt_masks`` optional) and ``mix_results`` (1 result);
    writes ``img`` (uint8), ``img_shape`` and the instances of both images.
    """

    def __init__(
        self,
        img_scale: tuple[int, int] = (640, 640),
        ratio_range: tuple[float, float] = (0.5, 1.5),
        flip_ratio: float = 0.5,
        pad_val: float = 114.0,
        max_iters: int = 15,
        bbox_clip_border: bool = True,
    ) -> None:
        self.dynamic_scale = _check_scale("MixUp", img_scale)
        self.ratio_range = tuple(ratio_range)
        self.flip_ratio = flip_ratio
        self.pad_val = pad_val
        self.max_iters = max_iters
        self.bbox_clip_border = bbox_clip_border

    def get_indexes(self, dataset) -> int:
        """A random index whose image has boxes (after at most ``max_iters`` tries)."""
        index = 0
        for _ in range(self.max_iters):
            index = int(np.random.randint(0, len(dataset)))
            if len(dataset[index]["gt_bboxes"]) != 0:
                break
        return index

    def transform(self, results: dict) -> dict:
        mix = results.get("mix_results")
        if mix is None or len(mix) != 1:
            raise KeyError(
                "MixUp needs 'mix_results' with 1 result: wrap the dataset in MultiImageMixDataset"
            )
        other = copy.copy(mix[0])
        other_inst = instance_arrays(other)
        if len(other_inst["gt_bboxes"]) == 0:
            return results
        other_img = other["img"]
        jitter = np.random.uniform(*self.ratio_range)
        flip = np.random.uniform(0, 1) > self.flip_ratio
        sw, sh = self.dynamic_scale
        fitted = _canvas((sh, sw), other_img, self.pad_val)
        ratio = min(sh / other_img.shape[0], sw / other_img.shape[1])
        resized = _resize(
            other_img, int(other_img.shape[1] * ratio), int(other_img.shape[0] * ratio)
        )
        fitted[: resized.shape[0], : resized.shape[1]] = resized
        ratio *= jitter
        fitted = _resize(fitted, int(fitted.shape[1] * jitter), int(fitted.shape[0] * jitter))
        if flip:
            fitted = fitted[:, ::-1]
        img = results["img"]
        origin_h, origin_w = fitted.shape[:2]
        target_h, target_w = img.shape[:2]
        padded = _canvas((max(origin_h, target_h), max(origin_w, target_w)), img, self.pad_val)
        padded = padded.astype(np.uint8)
        padded[:origin_h, :origin_w] = fitted
        y_off = np.random.randint(0, padded.shape[0] - target_h + 1)
        x_off = np.random.randint(0, padded.shape[1] - target_w + 1)
        cropped = padded[y_off : y_off + target_h, x_off : x_off + target_w]

        boxes = other_inst["gt_bboxes"] * np.float32(ratio)
        if self.bbox_clip_border:
            boxes = clip_xyxy(boxes, origin_h, origin_w)
        if flip:
            boxes = np.stack(
                [origin_w - boxes[:, 2], boxes[:, 1], origin_w - boxes[:, 0], boxes[:, 3]], -1
            )
        boxes = boxes - np.array([x_off, y_off, x_off, y_off], dtype=np.float32)
        if self.bbox_clip_border:
            boxes = clip_xyxy(boxes, target_h, target_w)
        other_inst["gt_bboxes"] = boxes.astype(np.float32)
        if results.get("gt_masks") is not None:
            own_masks = check_masks(results, "MixUp")
            moved = check_masks(other, "MixUp").resize(resized.shape[:2]).pad((sh, sw))
            moved = moved.resize((origin_h, origin_w))
            if flip:
                moved = moved.flip("horizontal")
            moved = moved.pad(padded.shape[:2])
            moved = moved.crop(np.array([x_off, y_off, x_off + target_w, y_off + target_h]))
            other_inst["gt_masks"] = concat_masks([own_masks, moved])
        own = instance_arrays(results)
        results.update({k: np.concatenate([own[k], other_inst[k]], 0) for k in own})
        if "gt_masks" in other_inst:
            results["gt_masks"] = other_inst["gt_masks"]
        filter_instances(results, boxes_inside(results["gt_bboxes"], target_h, target_w))
        mixed = 0.5 * img.astype(np.float32) + 0.5 * cropped.astype(np.float32)
        results["img"] = mixed.astype(np.uint8)
        results["img_shape"] = mixed.shape[:2]
        return results

    def __repr__(self) -> str:
        return (
            f"MixUp(dynamic_scale={self.dynamic_scale}, ratio_range={self.ratio_range}, "
            f"flip_ratio={self.flip_ratio}, pad_val={self.pad_val}, max_iters={self.max_iters}, "
            f"bbox_clip_border={self.bbox_clip_border})"
        )
