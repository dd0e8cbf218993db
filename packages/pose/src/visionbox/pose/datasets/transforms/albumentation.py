"""``Albumentation``: mmpose's wrapper of albumentations transforms, with the pixel-level ones the
RTMPose recipes use (``Blur``, ``MedianBlur``, ``CoarseDropout``) written on OpenCV and NumPy, so
that the albumentations package is not a dependency. Arguments and sampling follow
albumentations 1.x.

Keys: reads/writes ``img`` (H, W, C) uint8 (keypoints and boxes do not move: these transforms
only change pixel values).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from visionbox.core.datasets.transforms import BaseTransform
from visionbox.core.utils.suggest import did_you_mean

from ...registry import TRANSFORMS

__all__ = ["Albumentation", "Blur", "CoarseDropout", "MedianBlur"]


def _odd_sizes(blur_limit: int | Sequence[int]) -> np.ndarray:
    low, high = (3, blur_limit) if isinstance(blur_limit, int) else tuple(blur_limit)
    if low < 3 or low % 2 == 0 or high % 2 == 0 or high < low:
        raise ValueError(f"blur_limit must give odd kernel sizes >= 3, got {blur_limit!r}")
    return np.arange(low, high + 1, 2)


class Blur:
    """Box blur with an odd kernel size drawn from ``[3, blur_limit]``, with probability ``p``."""

    def __init__(self, blur_limit: int | Sequence[int] = 7, p: float = 0.5) -> None:
        self.sizes = _odd_sizes(blur_limit)
        self.p = p

    def __call__(self, img: np.ndarray) -> np.ndarray:
        k = int(np.random.choice(self.sizes))
        return cv2.blur(img, (k, k))


class MedianBlur(Blur):
    """Median blur with an odd kernel size drawn from ``[3, blur_limit]``."""

    def __call__(self, img: np.ndarray) -> np.ndarray:
        return cv2.medianBlur(img, int(np.random.choice(self.sizes)))


class CoarseDropout:
    """Fill ``min_holes..max_holes`` random rectangles with ``fill_value``.

    Hole sizes are pixels (ints) or fractions of the image side (floats in (0, 1]), drawn
    uniformly between the min and max sizes.
    """

    def __init__(
        self,
        max_holes: int = 8,
        max_height: int | float = 8,
        max_width: int | float = 8,
        min_holes: int | None = None,
        min_height: int | float | None = None,
        min_width: int | float | None = None,
        fill_value: float = 0,
        mask_fill_value: float | None = None,
        p: float = 0.5,
    ) -> None:
        self.max_holes, self.min_holes = max_holes, max_holes if min_holes is None else min_holes
        self.heights = (max_height if min_height is None else min_height, max_height)
        self.widths = (max_width if min_width is None else min_width, max_width)
        if not 0 < self.min_holes <= self.max_holes:
            raise ValueError(f"CoarseDropout needs 0 < min_holes <= max_holes, got {min_holes}")
        for lo, hi in (self.heights, self.widths):
            if not 0 < lo <= hi:
                raise ValueError(f"CoarseDropout hole sizes need 0 < min <= max, got {lo}, {hi}")
        self.fill_value = fill_value
        self.p = p

    @staticmethod
    def _size(bounds: tuple, side: int) -> int:
        lo, hi = bounds
        if isinstance(lo, float) or isinstance(hi, float):
            return int(side * np.random.uniform(lo, hi))
        return int(np.random.randint(lo, hi + 1))

    def __call__(self, img: np.ndarray) -> np.ndarray:
        img = img.copy()
        h, w = img.shape[:2]
        for _ in range(np.random.randint(self.min_holes, self.max_holes + 1)):
            hh, ww = self._size(self.heights, h), self._size(self.widths, w)
            y1 = np.random.randint(0, h - hh + 1)
            x1 = np.random.randint(0, w - ww + 1)
            img[y1 : y1 + hh, x1 : x1 + ww] = self.fill_value
        return img


_SUPPORTED = {"Blur": Blur, "MedianBlur": MedianBlur, "CoarseDropout": CoarseDropout}


@TRANSFORMS.register_module()
class Albumentation(BaseTransform):
    """Apply each listed transform in turn, each with its own probability ``p``.

    Args:
        transforms: Configs ``dict(type=..., p=..., **args)`` of ``Blur``, ``MedianBlur`` and
            ``CoarseDropout`` (albumentations' arguments).
        keymap: mmpose's mapping of result keys to albumentations' (only ``img`` is read here).
    """

    def __init__(self, transforms: Sequence[dict], keymap: dict | None = None) -> None:
        self.transforms = []
        for cfg in transforms:
            cfg = dict(cfg)
            name = cfg.pop("type", None)
            if name not in _SUPPORTED:
                raise ValueError(
                    f"Albumentation: unsupported transform {name!r}; VisionBox implements "
                    f"{', '.join(_SUPPORTED)}.{did_you_mean(str(name), list(_SUPPORTED))}"
                )
            self.transforms.append(_SUPPORTED[name](**cfg))
        self.keymap = dict(keymap or {"img": "image"})

    def transform(self, results: dict) -> dict:
        img = results["img"]
        for t in self.transforms:
            if np.random.rand() < t.p:
                img = t(img)
        results["img"] = img
        return results

    def __repr__(self) -> str:
        names = [type(t).__name__ for t in self.transforms]
        return f"Albumentation(transforms={names})"
