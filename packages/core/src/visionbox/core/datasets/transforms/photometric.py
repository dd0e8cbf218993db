"""``PhotoMetricDistortion`` (mmdet 3.x): random brightness, contrast, saturation, hue, channels.

Each distortion is applied with probability 0.5, in the order of the SSD paper's augmentation
(Liu et al., "SSD: Single Shot MultiBox Detector", 2016): brightness; contrast either before or
after the HSV steps; saturation; hue; channel permutation. The image becomes float32 (values are not
clipped, as in mmdet).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ...registry import TRANSFORMS
from .base import BaseTransform

__all__ = ["PhotoMetricDistortion"]


@TRANSFORMS.register_module()
class PhotoMetricDistortion(BaseTransform):
    """Random photometric distortions of a BGR image.

    Args:
        brightness_delta: Added value drawn from ``[-delta, delta]``.
        contrast_range: Multiplier range of the contrast.
        saturation_range: Multiplier range of the HSV saturation.
        hue_delta: Added hue (degrees) drawn from ``[-delta, delta]``.
    """

    def __init__(
        self,
        brightness_delta: int = 32,
        contrast_range: Sequence[float] = (0.5, 1.5),
        saturation_range: Sequence[float] = (0.5, 1.5),
        hue_delta: int = 18,
    ) -> None:
        for name, rng in (
            ("contrast_range", contrast_range),
            ("saturation_range", saturation_range),
        ):
            if len(rng) != 2 or rng[0] > rng[1]:
                raise ValueError(f"{name} must be (lower, upper), got {rng!r}.")
        self.brightness_delta = brightness_delta
        self.contrast_lower, self.contrast_upper = contrast_range
        self.saturation_lower, self.saturation_upper = saturation_range
        self.hue_delta = hue_delta

    def _random_flags(self) -> tuple:
        mode = np.random.randint(2)
        flags = np.random.randint(2, size=5).astype(bool)
        delta = np.random.uniform(-self.brightness_delta, self.brightness_delta)
        alpha = np.random.uniform(self.contrast_lower, self.contrast_upper)
        saturation = np.random.uniform(self.saturation_lower, self.saturation_upper)
        hue = np.random.uniform(-self.hue_delta, self.hue_delta)
        order = np.random.permutation(3)
        return mode, flags, delta, alpha, saturation, hue, order

    def transform(self, results: dict) -> dict:
        img = results["img"]
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(
                f"PhotoMetricDistortion needs a 3-channel BGR image, got shape {img.shape}."
            )
        img = img.astype(np.float32)
        mode, (b_flag, c_flag, s_flag, h_flag, swap_flag), delta, alpha, sat, hue, order = (
            self._random_flags()
        )
        if b_flag:
            img += delta
        if mode == 1 and c_flag:
            img *= alpha
        if s_flag or h_flag:
            hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
            if s_flag:
                hsv[..., 1] *= sat
            if h_flag:
                hsv[..., 0] = np.mod(hsv[..., 0] + hue, 360.0)
            img = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
        if mode == 0 and c_flag:
            img *= alpha
        if swap_flag:
            img = np.ascontiguousarray(img[..., order])
        results["img"] = img
        return results
