"""``YOLOXHSVRandomAug``: random hue, saturation and value shifts of YOLOX (mmdet 3.x's name,
arguments and defaults), used by the YOLOX and RTMDet recipes and by RTMPose's (which mmpose
writes ``mmdet.YOLOXHSVRandomAug``), hence in core."""

from __future__ import annotations

import cv2
import numpy as np

from ...registry import TRANSFORMS
from .base import BaseTransform

__all__ = ["YOLOXHSVRandomAug"]


@TRANSFORMS.register_module()
class YOLOXHSVRandomAug(BaseTransform):
    """Shift each of H, S, V (OpenCV ranges: H in [0, 180), S and V in [0, 255]) by a random
    integer in ``[-delta, delta]``, each shift applied with probability 1/2.

    Args:
        hue_delta: Maximum hue shift (wraps around).
        saturation_delta: Maximum saturation shift (clipped).
        value_delta: Maximum value shift (clipped).

    Keys: reads/writes ``img`` (H, W, 3) uint8 BGR.
    """

    def __init__(self, hue_delta: int = 5, saturation_delta: int = 30, value_delta: int = 30):
        self.hue_delta = hue_delta
        self.saturation_delta = saturation_delta
        self.value_delta = value_delta

    def _gains(self) -> np.ndarray:
        gains = np.random.uniform(-1, 1, 3) * [
            self.hue_delta,
            self.saturation_delta,
            self.value_delta,
        ]
        gains *= np.random.randint(0, 2, 3)
        return gains.astype(np.int16)

    def transform(self, results: dict) -> dict:
        img = results["img"]
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f"YOLOXHSVRandomAug needs a 3-channel image, got {img.shape}")
        gains = self._gains()
        hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV).astype(np.int16)
        hsv[..., 0] = (hsv[..., 0] + gains[0]) % 180
        hsv[..., 1] = np.clip(hsv[..., 1] + gains[1], 0, 255)
        hsv[..., 2] = np.clip(hsv[..., 2] + gains[2], 0, 255)
        results["img"] = cv2.cvtColor(hsv.astype(img.dtype), cv2.COLOR_HSV2BGR)
        return results
