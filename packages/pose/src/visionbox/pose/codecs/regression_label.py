"""Coordinate codecs: ``RegressionLabel`` (DeepPose, Toshev & Szegedy, CVPR 2014; RLE, Li et al.,
ICCV 2021) and ``IntegralRegressionLabel`` (Sun et al., "Integral Human Pose Regression",
ECCV 2018).

Shape shorthand: N instances, K keypoints, (w, h) input size.
"""

from __future__ import annotations

import numpy as np

from ..registry import KEYPOINT_CODECS
from .base import BaseKeypointCodec, _check_keypoints, _visible
from .msra_heatmap import MSRAHeatmap

__all__ = ["IntegralRegressionLabel", "RegressionLabel"]


@KEYPOINT_CODECS.register_module()
class RegressionLabel(BaseKeypointCodec):
    """Keypoints as coordinates normalised by the input size.

    Encoding: ``keypoint_labels`` (N, K, 2) in [0, 1] and ``keypoint_weights`` (N, K) (0 for a
    keypoint outside the input). Decoding: (N, K, 2) normalised coordinates -> pixels with
    scores 1, or (N, K, 4) coordinates and sigmas (RLE, sigmas after a sigmoid) -> pixels with
    scores ``1 - mean(sigma)``.

    Args:
        input_size: (w, h) of the model input.
    """

    label_mapping_table = dict(
        keypoint_labels="keypoint_labels", keypoint_weights="keypoint_weights"
    )

    def __init__(self, input_size: tuple[int, int]) -> None:
        self.input_size = tuple(input_size)

    def encode(self, keypoints: np.ndarray, keypoints_visible: np.ndarray | None = None) -> dict:
        keypoints = _check_keypoints(keypoints)
        weights = _visible(keypoints, keypoints_visible).copy()
        w, h = self.input_size
        inside = (
            (keypoints[..., 0] >= 0)
            & (keypoints[..., 0] <= w - 1)
            & (keypoints[..., 1] >= 0)
            & (keypoints[..., 1] <= h - 1)
        )
        weights = np.where(inside, weights, 0).astype(np.float32)
        labels = (keypoints / np.array([w, h], np.float32)).astype(np.float32)
        return dict(keypoint_labels=labels, keypoint_weights=weights)

    def decode(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        encoded = np.asarray(encoded, dtype=np.float32)
        if encoded.shape[-1] == 2:
            coords, scores = encoded, np.ones(encoded.shape[:-1], np.float32)
        elif encoded.shape[-1] == 4:
            coords = encoded[..., :2]
            scores = (1 - encoded[..., 2:4]).mean(axis=-1)
        else:
            raise ValueError(
                f"RegressionLabel decodes (N, K, 2) or (N, K, 4) arrays; got {encoded.shape}."
            )
        return coords * np.array(self.input_size, np.float32), scores.astype(np.float32)


@KEYPOINT_CODECS.register_module()
class IntegralRegressionLabel(BaseKeypointCodec):
    """Heatmap and coordinate targets for integral regression (soft-argmax heads).

    Encoding: ``heatmaps`` (K, H, W) as :class:`MSRAHeatmap`, ``keypoint_labels`` (N, K, 2)
    normalised as :class:`RegressionLabel`, and ``keypoint_weights`` (N, K) (the product of both).
    Decoding: normalised (N, K, 2) coordinates -> pixels.

    Args:
        input_size: (w, h) of the model input.
        heatmap_size: (W, H) of the heatmaps.
        sigma: Gaussian sigma in heatmap pixels.
        unbiased: DARK Gaussians.
        blur_kernel_size: Odd kernel of DARK's modulation.
        normalize: Divide each heatmap by its sum (a distribution, as soft-argmax expects).
    """

    label_mapping_table = dict(
        keypoint_labels="keypoint_labels", keypoint_weights="keypoint_weights"
    )
    field_mapping_table = dict(heatmaps="heatmaps")

    def __init__(
        self,
        input_size: tuple[int, int],
        heatmap_size: tuple[int, int],
        sigma: float,
        unbiased: bool = False,
        blur_kernel_size: int = 11,
        normalize: bool = True,
    ) -> None:
        self.heatmap_codec = MSRAHeatmap(
            input_size, heatmap_size, sigma, unbiased, blur_kernel_size
        )
        self.keypoint_codec = RegressionLabel(input_size)
        self.normalize = normalize

    def encode(self, keypoints: np.ndarray, keypoints_visible: np.ndarray | None = None) -> dict:
        heat = self.heatmap_codec.encode(keypoints, keypoints_visible)
        coord = self.keypoint_codec.encode(keypoints, keypoints_visible)
        heatmaps = heat["heatmaps"]
        if self.normalize:
            sums = heatmaps.reshape(heatmaps.shape[0], -1).sum(axis=1)
            heatmaps = heatmaps / np.where(sums > 0, sums, 1.0)[:, None, None]
        return dict(
            heatmaps=heatmaps.astype(np.float32),
            keypoint_labels=coord["keypoint_labels"],
            keypoint_weights=heat["keypoint_weights"] * coord["keypoint_weights"],
        )

    def decode(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.keypoint_codec.decode(encoded)
