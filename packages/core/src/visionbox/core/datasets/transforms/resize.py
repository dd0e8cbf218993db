"""Resizing: ``Resize``, ``RandomResize`` and ``RandomChoiceResize`` (mmcv 2.x / mmdet 3.x names).

Sizes given as ``scale`` are ``(w, h)``; with ``keep_ratio=True`` they bound the long and the short
edge (``(1333, 800)``: long edge <= 1333, short edge <= 800). The factors actually applied are
recorded as ``results['scale_factor'] = (w_scale, h_scale)`` = new size / old size, and boxes,
masks, segmentation maps and keypoints are all scaled by exactly those factors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import cv2
import numpy as np

from ...registry import TRANSFORMS
from ...structures.masks import rescale_size
from .base import KEYPOINT_KEYS, BaseTransform, clip_boxes, scale_boxes

__all__ = ["Resize", "RandomResize", "RandomChoiceResize", "imresize"]

_INTERP = {
    "nearest": cv2.INTER_NEAREST,
    "bilinear": cv2.INTER_LINEAR,
    "bicubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA,
    "lanczos": cv2.INTER_LANCZOS4,
}
_PIL_INTERP = {"nearest": 0, "bilinear": 2, "bicubic": 3, "area": 4, "lanczos": 1}


def imresize(
    img: np.ndarray, size: tuple[int, int], interpolation: str = "bilinear", backend: str = "cv2"
) -> np.ndarray:
    """Resize ``img`` (H, W[, C]) to ``size = (w, h)``."""
    if backend == "cv2":
        return cv2.resize(img, size, interpolation=_INTERP[interpolation])
    from PIL import Image

    return np.asarray(Image.fromarray(img).resize(size, _PIL_INTERP[interpolation]))


def _pair(value: Any, name: str) -> tuple | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return (value, value)
    if isinstance(value, Sequence) and len(value) == 2:
        return tuple(value)
    raise ValueError(f"{name} must be a number or a (w, h) pair, got {value!r}.")


@TRANSFORMS.register_module()
class Resize(BaseTransform):
    """Resize the image and every annotation by the same factors.

    Args:
        scale: Target ``(w, h)`` (an int means square). Takes precedence over ``scale_factor``.
        scale_factor: Factor or ``(w_factor, h_factor)`` used when ``scale`` is ``None``.
        keep_ratio: Keep the aspect ratio, fitting the image inside ``scale``.
        clip_object_border: Clip boxes and keypoints to the resized image.
        backend: ``'cv2'`` or ``'pillow'``.
        interpolation: ``'nearest'``, ``'bilinear'``, ``'bicubic'``, ``'area'`` or ``'lanczos'``.
    """

    def __init__(
        self,
        scale: int | tuple[int, int] | None = None,
        scale_factor: float | tuple[float, float] | None = None,
        keep_ratio: bool = False,
        clip_object_border: bool = True,
        backend: Literal["cv2", "pillow"] = "cv2",
        interpolation: Literal["nearest", "bilinear", "bicubic", "area", "lanczos"] = "bilinear",
    ) -> None:
        if scale is None and scale_factor is None:
            raise ValueError("Resize needs `scale` or `scale_factor`; both are None.")
        if backend not in ("cv2", "pillow"):
            raise ValueError(f"backend must be 'cv2' or 'pillow', got {backend!r}.")
        if interpolation not in _INTERP:
            raise ValueError(
                f"interpolation must be one of {list(_INTERP)}, got {interpolation!r}."
            )
        self.scale = _pair(scale, "scale")
        self.scale_factor = _pair(scale_factor, "scale_factor")
        self.keep_ratio = keep_ratio
        self.clip_object_border = clip_object_border
        self.backend = backend
        self.interpolation = interpolation

    def _target_size(self, h: int, w: int) -> tuple[int, int]:
        """(w, h) of the output for an input of ``h x w``."""
        if self.scale is not None:
            scale = tuple(int(s) for s in self.scale)
        else:
            scale = (
                int(w * float(self.scale_factor[0]) + 0.5),
                int(h * float(self.scale_factor[1]) + 0.5),
            )
        if self.keep_ratio:
            return rescale_size((w, h), scale)
        return scale

    def transform(self, results: dict) -> dict:
        img = results["img"]
        h, w = img.shape[:2]
        new_w, new_h = self._target_size(h, w)
        results["scale"] = (
            tuple(int(s) for s in self.scale) if self.scale is not None else (new_w, new_h)
        )
        results["img"] = imresize(img, (new_w, new_h), self.interpolation, self.backend)
        factor = (new_w / w, new_h / h)
        results["img_shape"] = (new_h, new_w)
        results["scale_factor"] = factor
        results["keep_ratio"] = self.keep_ratio
        if results.get("gt_bboxes") is not None:
            boxes = scale_boxes(results["gt_bboxes"], factor)
            if self.clip_object_border:
                boxes = clip_boxes(boxes, (new_h, new_w))
            results["gt_bboxes"] = boxes
        if results.get("gt_masks") is not None:
            results["gt_masks"] = results["gt_masks"].resize((new_h, new_w))
        if results.get("gt_seg_map") is not None:
            results["gt_seg_map"] = imresize(
                results["gt_seg_map"], (new_w, new_h), "nearest", self.backend
            )
        for key, _ in KEYPOINT_KEYS:
            if results.get(key) is not None:
                kpts = np.array(results[key], dtype=np.float32, copy=True)
                kpts[..., :2] *= np.array(factor, dtype=np.float32)
                if self.clip_object_border:
                    kpts[..., 0] = kpts[..., 0].clip(0, new_w)
                    kpts[..., 1] = kpts[..., 1].clip(0, new_h)
                results[key] = kpts
        return results


def _resize_class(resize_type: str, resize_kwargs: dict, probe_scale: tuple) -> type:
    """Check ``resize_type`` and its keywords by building it once; return the class."""
    cfg = dict(type=resize_type, scale=probe_scale, **resize_kwargs)
    TRANSFORMS.build(cfg)
    return TRANSFORMS.get(resize_type)


@TRANSFORMS.register_module()
class RandomResize(BaseTransform):
    """Resize to a random scale: within ``scale * ratio_range``, or between two ``(w, h)`` scales.

    Args:
        scale: ``(w, h)`` with ``ratio_range``, or a pair of ``(w, h)`` scales whose long and short
            edges bound the random scale.
        ratio_range: ``(min, max)`` ratio applied to ``scale``.
        resize_type: The resize transform to use.
        **resize_kwargs: Its other arguments (e.g. ``keep_ratio=True``), checked when built.
    """

    def __init__(
        self,
        scale: tuple[int, int] | Sequence[tuple[int, int]],
        ratio_range: tuple[float, float] | None = None,
        resize_type: str = "Resize",
        **resize_kwargs: Any,
    ) -> None:
        self.scale = scale
        self.ratio_range = ratio_range
        self.resize_type = resize_type
        self.resize_kwargs = resize_kwargs
        if ratio_range is not None:
            if len(ratio_range) != 2 or not ratio_range[0] <= ratio_range[1]:
                raise ValueError(f"ratio_range must be (min, max), got {ratio_range!r}.")
            if not (
                isinstance(scale, Sequence)
                and len(scale) == 2
                and all(isinstance(s, (int, float)) for s in scale)
            ):
                raise ValueError(f"With ratio_range, scale must be one (w, h), got {scale!r}.")
            probe = tuple(scale)
        else:
            if not (
                isinstance(scale, Sequence)
                and len(scale) == 2
                and all(isinstance(s, Sequence) and len(s) == 2 for s in scale)
            ):
                raise ValueError(
                    f"Without ratio_range, scale must be two (w, h) scales, got {scale!r}."
                )
            probe = tuple(scale[0])
        # Built once so that misspelt keywords fail now, not in the first iteration.
        self._resize_cls = _resize_class(resize_type, resize_kwargs, probe)

    def _random_scale(self) -> tuple[int, int]:
        if self.ratio_range is not None:
            low, high = self.ratio_range
            ratio = np.random.random() * (high - low) + low
            return int(self.scale[0] * ratio), int(self.scale[1] * ratio)
        (w0, h0), (w1, h1) = self.scale
        edge0 = np.random.randint(min(w0, w1), max(w0, w1) + 1)
        edge1 = np.random.randint(min(h0, h1), max(h0, h1) + 1)
        return int(edge0), int(edge1)

    def transform(self, results: dict) -> dict:
        scale = self._random_scale()
        results = self._resize_cls(scale=scale, **self.resize_kwargs)(results)
        results["scale"] = scale
        return results


@TRANSFORMS.register_module()
class RandomChoiceResize(BaseTransform):
    """Resize to one ``(w, h)`` of ``scales``, chosen uniformly.

    Args:
        scales: Candidate ``(w, h)`` scales.
        resize_type: The resize transform to use.
        **resize_kwargs: Its other arguments (e.g. ``keep_ratio=True``), checked when built.
    """

    def __init__(
        self,
        scales: Sequence[int | tuple[int, int]],
        resize_type: str = "Resize",
        **resize_kwargs: Any,
    ) -> None:
        if isinstance(scales, int) or (
            isinstance(scales, tuple) and all(isinstance(s, (int, float)) for s in scales)
        ):
            scales = [scales]
        if len(scales) == 0:
            raise ValueError("RandomChoiceResize needs at least one scale.")
        self.scales = [tuple(_pair(s, "scales[i]")) for s in scales]
        self.resize_type = resize_type
        self.resize_kwargs = resize_kwargs
        self._resize_cls = _resize_class(resize_type, resize_kwargs, self.scales[0])

    def transform(self, results: dict) -> dict:
        idx = int(np.random.randint(len(self.scales)))
        scale = self.scales[idx]
        results = self._resize_cls(scale=scale, **self.resize_kwargs)(results)
        results["scale"] = scale
        results["scale_idx"] = idx
        return results
