"""``SimCCLabel``: keypoints as two 1D classification vectors (Li et al., "SimCC: a Simple
Coordinate Classification Perspective for Human Pose Estimation", ECCV 2022).

Shape shorthand: N instances, K keypoints, (w, h) input size, W_x = w * ratio and
W_y = h * ratio bins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from ..registry import KEYPOINT_CODECS
from .base import BaseKeypointCodec, _check_keypoints, _visible
from .utils import get_simcc_maximum, refine_simcc_dark

__all__ = ["SimCCLabel"]


@KEYPOINT_CODECS.register_module()
class SimCCLabel(BaseKeypointCodec):
    """Encode keypoints as 1D Gaussian (or one-hot) labels over sub-pixel bins.

    Encoding: ``keypoint_x_labels`` (N, K, W_x), ``keypoint_y_labels`` (N, K, W_y),
    ``keypoint_weights`` (N, K). Decoding: the arg-max bin of each vector divided by
    ``simcc_split_ratio``; the score is the smaller of the two maxima.

    Args:
        input_size: (w, h) of the model input.
        smoothing_type: ``'gaussian'`` or ``'standard'`` (one-hot with label smoothing).
        sigma: Gaussian sigma in bins, one value or (sigma_x, sigma_y).
        simcc_split_ratio: Bins per input pixel.
        label_smooth_weight: Label smoothing of the ``'standard'`` type.
        normalize: Divide the Gaussian labels by ``sigma * sqrt(2 * pi)``.
        use_dark: Refine the decoded bins with 1D DARK.
        decode_visibility: Also return a visibility from the scores (kept for configs).
        decode_beta: Softmax temperature of the visibility decoding.
    """

    label_mapping_table = dict(
        keypoint_x_labels="keypoint_x_labels",
        keypoint_y_labels="keypoint_y_labels",
        keypoint_weights="keypoint_weights",
    )

    def __init__(
        self,
        input_size: tuple[int, int],
        smoothing_type: Literal["gaussian", "standard"] = "gaussian",
        sigma: float | Sequence[float] = 6.0,
        simcc_split_ratio: float = 2.0,
        label_smooth_weight: float = 0.0,
        normalize: bool = True,
        use_dark: bool = False,
        decode_visibility: bool = False,
        decode_beta: float = 150.0,
    ) -> None:
        if smoothing_type not in ("gaussian", "standard"):
            raise ValueError(
                f"smoothing_type must be 'gaussian' or 'standard'; got {smoothing_type!r}."
            )
        if not 0.0 <= label_smooth_weight < 1.0:
            raise ValueError(f"label_smooth_weight must be in [0, 1); got {label_smooth_weight}.")
        self.input_size = tuple(input_size)
        self.smoothing_type = smoothing_type
        self.sigma = np.broadcast_to(np.asarray(sigma, np.float32), (2,)).copy()
        self.simcc_split_ratio = simcc_split_ratio
        self.label_smooth_weight = label_smooth_weight
        self.normalize = normalize
        self.use_dark = use_dark
        self.decode_visibility = decode_visibility
        self.decode_beta = decode_beta

    @property
    def num_bins(self) -> tuple[int, int]:
        """(W_x, W_y)."""
        return (
            int(round(self.input_size[0] * self.simcc_split_ratio)),
            int(round(self.input_size[1] * self.simcc_split_ratio)),
        )

    def encode(self, keypoints: np.ndarray, keypoints_visible: np.ndarray | None = None) -> dict:
        keypoints = _check_keypoints(keypoints)
        weights = _visible(keypoints, keypoints_visible).copy()
        weights[weights < 0.5] = 0
        wx, wy = self.num_bins
        mu = keypoints * self.simcc_split_ratio
        if self.smoothing_type == "standard":
            mu = np.around(mu)
        radius = self.sigma * 3
        outside = (
            (mu[..., 0] - radius[0] >= wx)
            | (mu[..., 1] - radius[1] >= wy)
            | (mu[..., 0] + radius[0] + 1 < 0)
            | (mu[..., 1] + radius[1] + 1 < 0)
        )
        weights[outside] = 0
        x = np.arange(wx, dtype=np.float32)
        y = np.arange(wy, dtype=np.float32)
        if self.smoothing_type == "gaussian":
            x_labels = np.exp(-((x - mu[..., 0:1]) ** 2) / (2 * self.sigma[0] ** 2))
            y_labels = np.exp(-((y - mu[..., 1:2]) ** 2) / (2 * self.sigma[1] ** 2))
            if self.normalize:
                x_labels /= self.sigma[0] * np.sqrt(2 * np.pi)
                y_labels /= self.sigma[1] * np.sqrt(2 * np.pi)
        else:
            x_labels = (x == mu[..., 0:1]).astype(np.float32)
            y_labels = (y == mu[..., 1:2]).astype(np.float32)
            if self.label_smooth_weight > 0:
                eps = self.label_smooth_weight
                x_labels = x_labels * (1 - eps) + eps / wx
                y_labels = y_labels * (1 - eps) + eps / wy
        mask = (weights > 0)[..., None]
        return dict(
            keypoint_x_labels=(x_labels * mask).astype(np.float32),
            keypoint_y_labels=(y_labels * mask).astype(np.float32),
            keypoint_weights=weights.astype(np.float32),
        )

    def decode(
        self, simcc_x: np.ndarray, simcc_y: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(N, K, W_x) and (N, K, W_y) vectors (or a tuple of both) -> keypoints (N, K, 2) in the
        input space and scores (N, K)."""
        if simcc_y is None:
            simcc_x, simcc_y = simcc_x
        simcc_x = np.asarray(simcc_x, np.float32)
        simcc_y = np.asarray(simcc_y, np.float32)
        if simcc_x.ndim == 2:
            simcc_x, simcc_y = simcc_x[None], simcc_y[None]
        keypoints, scores = get_simcc_maximum(simcc_x, simcc_y)
        if self.use_dark:
            kernels = [(int((s * 20 - 7) // 3) // 2) * 2 + 1 for s in self.sigma]
            keypoints[..., 0] = refine_simcc_dark(keypoints[..., 0], simcc_x, kernels[0])
            keypoints[..., 1] = refine_simcc_dark(keypoints[..., 1], simcc_y, kernels[1])
        valid = keypoints >= 0
        keypoints = np.where(valid, keypoints / self.simcc_split_ratio, -1)
        return keypoints.astype(np.float32), scores
