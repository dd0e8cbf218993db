"""Photometric transforms of SOT pairs: PCA colour jitter and motion blur (pysot's)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from visionbox.core.datasets.transforms import BaseTransform
from visionbox.tracking.registry import TRANSFORMS

__all__ = ["SeqBlurAug", "SeqColorAug"]

#: pysot's PCA colour offsets (RGB eigenvectors scaled by eigenvalues).
RGB_VAR = (
    (-0.55919361, 0.98062831, -0.41940627),
    (1.72091413, 0.19879334, -1.82968581),
    (4.64467907, 4.73710203, 4.88324118),
)


@TRANSFORMS.register_module()
class SeqColorAug(BaseTransform):
    """Subtract a random PCA colour offset from frame ``i`` with probability ``prob[i]``; the
    image becomes float32.

    Args:
        prob: Probability per frame.
        rgb_var: (3, 3) colour basis.
    """

    def __init__(
        self, prob: Sequence[float] = (1.0, 1.0), rgb_var: Sequence[Sequence[float]] = RGB_VAR
    ) -> None:
        self.prob = list(prob)
        self.rgb_var = np.array(rgb_var, np.float32)

    def transform(self, results: list[dict]) -> list[dict]:
        for frame, prob in zip(results, self.prob):
            img = frame["img"].astype(np.float32)
            if np.random.rand() < prob:
                offset = (self.rgb_var @ np.random.randn(3, 1).astype(np.float32))[::-1, 0]
                img = img - offset  # BGR order
            frame["img"] = img
        return results


@TRANSFORMS.register_module()
class SeqBlurAug(BaseTransform):
    """Blur frame ``i`` with probability ``prob[i]`` by a random cross-shaped kernel of odd size
    5 to 45 (motion blur).

    Args:
        prob: Probability per frame.
    """

    def __init__(self, prob: Sequence[float] = (0.0, 0.2)) -> None:
        self.prob = list(prob)

    def transform(self, results: list[dict]) -> list[dict]:
        for frame, prob in zip(results, self.prob):
            if np.random.rand() < prob:
                size = int(np.random.choice(np.arange(5, 46, 2)))
                kernel = np.zeros((size, size), np.float32)
                c, wx = size // 2, np.random.rand()
                kernel[:, c] += wx / size
                kernel[c, :] += (1 - wx) / size
                frame["img"] = cv2.filter2D(frame["img"], -1, kernel)
        return results
