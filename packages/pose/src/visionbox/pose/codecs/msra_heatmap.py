"""Heatmap codecs: ``MSRAHeatmap`` (Xiao et al., "Simple Baselines", ECCV 2018; with the unbiased
DARK encoding and decoding of Zhang et al., CVPR 2020) and ``UDPHeatmap`` (Huang et al., "The
Devil is in the Details: Delving into Unbiased Data Processing", CVPR 2020).

Shape shorthand: N instances, K keypoints, (w, h) input size, (W, H) heatmap size.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..registry import KEYPOINT_CODECS
from .base import BaseKeypointCodec, _check_keypoints, _visible
from .utils import (
    gaussian_heatmaps,
    get_heatmap_maximum,
    refine_keypoints,
    refine_keypoints_dark,
    refine_keypoints_dark_udp,
)

__all__ = ["MSRAHeatmap", "UDPHeatmap"]


@KEYPOINT_CODECS.register_module()
class MSRAHeatmap(BaseKeypointCodec):
    """Gaussian heatmaps at stride ``input_size / heatmap_size``.

    Encoding: heatmaps (K, H, W) and keypoint_weights (N, K). Decoding: the maximum of each map,
    refined by a quarter pixel towards the higher neighbour, or (``unbiased=True``) by DARK's
    Taylor expansion of the blurred log-heatmap; then scaled back to the input size.

    Args:
        input_size: (w, h) of the model input.
        heatmap_size: (W, H) of the heatmaps.
        sigma: Gaussian sigma in heatmap pixels.
        unbiased: DARK: Gaussians at the exact sub-pixel keypoint, sub-pixel decoding.
        blur_kernel_size: Odd kernel of DARK's modulation; mmpose uses 11 for sigma 2 and
            17 for sigma 3 (about ``6 * sigma - 1``).
    """

    label_mapping_table = dict(keypoint_weights="keypoint_weights")
    field_mapping_table = dict(heatmaps="heatmaps")

    def __init__(
        self,
        input_size: tuple[int, int],
        heatmap_size: tuple[int, int],
        sigma: float,
        unbiased: bool = False,
        blur_kernel_size: int = 11,
    ) -> None:
        self.input_size = tuple(input_size)
        self.heatmap_size = tuple(heatmap_size)
        self.sigma = sigma
        self.unbiased = unbiased
        self.blur_kernel_size = blur_kernel_size
        self.scale_factor = np.array(input_size, dtype=np.float32) / np.array(
            heatmap_size, dtype=np.float32
        )

    def encode(self, keypoints: np.ndarray, keypoints_visible: np.ndarray | None = None) -> dict:
        """(N, K, 2) keypoints in the input space -> ``heatmaps`` (K, H, W), ``keypoint_weights``
        (N, K)."""
        keypoints = _check_keypoints(keypoints)
        visible = _visible(keypoints, keypoints_visible)
        heatmaps, weights = gaussian_heatmaps(
            self.heatmap_size,
            keypoints / self.scale_factor,
            visible,
            self.sigma,
            mode="unbiased" if self.unbiased else "msra",
        )
        return dict(heatmaps=heatmaps, keypoint_weights=weights)

    def decode(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K, H, W) heatmaps -> keypoints (1, K, 2) in the input space, scores (1, K)."""
        heatmaps = np.asarray(encoded, dtype=np.float32).copy()
        locs, scores = get_heatmap_maximum(heatmaps)
        keypoints, scores = locs[None], scores[None]
        if self.unbiased:
            keypoints = refine_keypoints_dark(keypoints, heatmaps, self.blur_kernel_size)
        else:
            keypoints = refine_keypoints(keypoints, heatmaps)
        return keypoints * self.scale_factor, scores


@KEYPOINT_CODECS.register_module()
class UDPHeatmap(BaseKeypointCodec):
    """Unbiased data processing: heatmaps whose first and last pixels align with the input's.

    Encoding scales input to heatmap by ``(heatmap_size - 1) / (input_size - 1)``; Gaussians
    sit at the exact sub-pixel keypoint. Decoding refines the maximum with the one-pixel variant
    of DARK and scales back by ``input_size / (heatmap_size - 1)`` as mmpose does, so a round
    trip is off by ``x / (input_size - 1)`` pixels (under 1.5 px at 192x256).

    Args:
        input_size: (w, h) of the model input.
        heatmap_size: (W, H) of the heatmaps.
        heatmap_type: ``'gaussian'`` (the only type VisionBox implements; mmpose's
            ``'combined'`` offset maps are not supported).
        sigma: Gaussian sigma in heatmap pixels.
        radius_factor: Radius of the ``'combined'`` type (kept for config compatibility).
        blur_kernel_size: Odd kernel of the modulation.
    """

    label_mapping_table = dict(keypoint_weights="keypoint_weights")
    field_mapping_table = dict(heatmaps="heatmaps")

    def __init__(
        self,
        input_size: tuple[int, int],
        heatmap_size: tuple[int, int],
        heatmap_type: Literal["gaussian"] = "gaussian",
        sigma: float = 2.0,
        radius_factor: float = 0.0546875,
        blur_kernel_size: int = 11,
    ) -> None:
        if heatmap_type != "gaussian":
            raise ValueError(
                f"UDPHeatmap supports heatmap_type='gaussian' only; got {heatmap_type!r}."
            )
        self.input_size = tuple(input_size)
        self.heatmap_size = tuple(heatmap_size)
        self.heatmap_type = heatmap_type
        self.sigma = sigma
        self.radius_factor = radius_factor
        self.blur_kernel_size = blur_kernel_size
        self.scale_factor = (np.array(input_size, np.float32) - 1) / (
            np.array(heatmap_size, np.float32) - 1
        )

    def encode(self, keypoints: np.ndarray, keypoints_visible: np.ndarray | None = None) -> dict:
        """(N, K, 2) keypoints -> ``heatmaps`` (K, H, W), ``keypoint_weights`` (N, K)."""
        keypoints = _check_keypoints(keypoints)
        visible = _visible(keypoints, keypoints_visible)
        heatmaps, weights = gaussian_heatmaps(
            self.heatmap_size, keypoints / self.scale_factor, visible, self.sigma, mode="udp"
        )
        return dict(heatmaps=heatmaps, keypoint_weights=weights)

    def decode(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K, H, W) heatmaps -> keypoints (1, K, 2) in the input space, scores (1, K)."""
        heatmaps = np.asarray(encoded, dtype=np.float32).copy()
        locs, scores = get_heatmap_maximum(heatmaps)
        keypoints = refine_keypoints_dark_udp(locs[None], heatmaps, self.blur_kernel_size)
        # mmpose decodes with ``input_size / (heatmap_size - 1)``, not the encoding's
        # ``(input_size - 1) / (heatmap_size - 1)``; kept so that predictions equal mmpose's.
        w, h = self.heatmap_size
        return keypoints / [w - 1, h - 1] * np.array(self.input_size), scores[None]
