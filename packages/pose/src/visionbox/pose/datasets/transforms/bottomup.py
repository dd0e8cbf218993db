"""Bottom-up transforms: ``BottomupRandomAffine`` (training) and ``BottomupResize`` (testing).

Both warp the whole image with one affine (all instances at once) and record ``input_size``,
``input_center`` and ``input_scale`` so that predictions map back with
``x / input_size * input_scale + input_center - input_scale / 2``.
"""

from __future__ import annotations

import math
from typing import Literal

import cv2
import numpy as np

from visionbox.core.datasets.transforms import BaseTransform

from ...registry import TRANSFORMS
from ...structures import fix_aspect_ratio, get_udp_warp_matrix, get_warp_matrix

__all__ = ["BottomupRandomAffine", "BottomupResize"]


def _warp_points(points: np.ndarray, warp: np.ndarray) -> np.ndarray:
    return (points[..., :2] @ warp[:, :2].T + warp[:, 2]).astype(np.float32)


@TRANSFORMS.register_module()
class BottomupRandomAffine(BaseTransform):
    """Random shift, scale and rotation of the whole image to ``input_size``.

    Args:
        input_size: (w, h) of the model input.
        shift_factor: Maximum shift as a fraction of the image scale.
        shift_prob: Probability of a shift.
        scale_factor: (low, high) of the scale multiplier.
        scale_prob: Probability of a rescale.
        scale_type: ``'short'`` (fit the short side) or ``'long'`` (fit the long side).
        rotate_factor: Maximum rotation in degrees.
        rotate_prob: Probability of a rotation.
        use_udp: The unbiased warp.
    """

    def __init__(
        self,
        input_size: tuple[int, int],
        shift_factor: float = 0.2,
        shift_prob: float = 1.0,
        scale_factor: tuple[float, float] = (0.75, 1.5),
        scale_prob: float = 1.0,
        scale_type: Literal["short", "long"] = "short",
        rotate_factor: float = 30.0,
        rotate_prob: float = 1.0,
        use_udp: bool = False,
    ) -> None:
        if scale_type not in ("short", "long"):
            raise ValueError(f"scale_type must be 'short' or 'long'; got {scale_type!r}.")
        self.input_size = tuple(int(s) for s in input_size)
        self.shift_factor = shift_factor
        self.shift_prob = shift_prob
        self.scale_factor = tuple(scale_factor)
        self.scale_prob = scale_prob
        self.scale_type = scale_type
        self.rotate_factor = rotate_factor
        self.rotate_prob = rotate_prob
        self.use_udp = use_udp

    def transform(self, results: dict) -> dict:
        h, w = results["img"].shape[:2]
        out_w, out_h = self.input_size
        center = np.array([w / 2, h / 2], np.float32)
        scale = np.array([w, h], np.float32)
        if self.scale_type == "long":
            side = max(w, h * out_w / out_h)
            scale = np.array([side, side * out_h / out_w], np.float32)
        else:
            scale = fix_aspect_ratio(scale[None], out_w / out_h)[0]
        if np.random.rand() < self.scale_prob:
            scale = scale * np.random.uniform(*self.scale_factor)
        if np.random.rand() < self.shift_prob:
            center = center + np.random.uniform(-1, 1, 2) * self.shift_factor * scale
        rot = (
            np.random.uniform(-1, 1) * self.rotate_factor
            if np.random.rand() < self.rotate_prob
            else 0.0
        )
        warp = (get_udp_warp_matrix if self.use_udp else get_warp_matrix)(
            center, scale, rot, (out_w, out_h)
        )
        results["img"] = cv2.warpAffine(
            results["img"], warp, (out_w, out_h), flags=cv2.INTER_LINEAR
        )
        if results.get("keypoints") is not None and len(results["keypoints"]):
            results["keypoints"] = _warp_points(np.asarray(results["keypoints"]), warp)
        if results.get("bbox") is not None and len(results["bbox"]):
            corners = np.asarray(results["bbox"], np.float32).reshape(-1, 2, 2)
            moved = _warp_points(corners, warp)
            results["bbox"] = np.concatenate([moved.min(axis=1), moved.max(axis=1)], axis=1)
        results["img_shape"] = (out_h, out_w)
        results["input_size"] = (out_w, out_h)
        results["input_center"] = center
        results["input_scale"] = scale
        return results


@TRANSFORMS.register_module()
class BottomupResize(BaseTransform):
    """Resize (and pad) the whole image for bottom-up testing, keeping its aspect ratio.

    ``resize_mode='fit'`` fits the image inside ``input_size``; ``'expand'`` keeps
    ``input_size`` as the minimum and grows the other side. Sizes are rounded up to
    ``size_factor``.

    Args:
        input_size: (w, h) base input size.
        aug_scales: Extra scales of multi-scale testing (not supported; must be None).
        size_factor: The input size is a multiple of this.
        resize_mode: ``'fit'`` or ``'expand'``.
        pad_val: Padding colour.
        use_udp: The unbiased warp.
    """

    def __init__(
        self,
        input_size: tuple[int, int],
        aug_scales: list[float] | None = None,
        size_factor: int = 32,
        resize_mode: Literal["fit", "expand"] = "fit",
        pad_val: tuple[float, float, float] = (0, 0, 0),
        use_udp: bool = False,
    ) -> None:
        if aug_scales:
            raise ValueError("BottomupResize: multi-scale aug_scales are not supported.")
        if resize_mode not in ("fit", "expand"):
            raise ValueError(f"resize_mode must be 'fit' or 'expand'; got {resize_mode!r}.")
        self.input_size = tuple(int(s) for s in input_size)
        self.aug_scales = aug_scales
        self.size_factor = size_factor
        self.resize_mode = resize_mode
        self.pad_val = tuple(pad_val)
        self.use_udp = use_udp

    def _actual_size(self, img_w: int, img_h: int) -> tuple[int, int]:
        w, h = self.input_size
        ratio = img_w / img_h
        if self.resize_mode == "fit":
            if ratio > w / h:
                aw, ah = w, w / ratio
            else:
                aw, ah = h * ratio, h
        elif ratio > w / h:
            aw, ah = h * ratio, h
        else:
            aw, ah = w, w / ratio
        f = self.size_factor
        return int(math.ceil(aw / f) * f), int(math.ceil(ah / f) * f)

    def transform(self, results: dict) -> dict:
        img = results["img"]
        h, w = img.shape[:2]
        out_w, out_h = self._actual_size(w, h)
        center = np.array([w / 2, h / 2], np.float32)
        scale = fix_aspect_ratio(np.array([[w, h]], np.float32), out_w / out_h)[0]
        warp = (get_udp_warp_matrix if self.use_udp else get_warp_matrix)(
            center, scale, 0.0, (out_w, out_h)
        )
        results["img"] = cv2.warpAffine(
            img, warp, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=self.pad_val
        )
        results["img_shape"] = (out_h, out_w)
        results["input_size"] = (out_w, out_h)
        results["input_center"] = center
        results["input_scale"] = scale
        return results
