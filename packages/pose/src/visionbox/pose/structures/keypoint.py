"""Keypoint geometry: flipping with the dataset's flip indices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

__all__ = ["flip_keypoints"]


def flip_keypoints(
    keypoints: np.ndarray,
    keypoints_visible: np.ndarray | None,
    image_size: tuple[int, int],
    flip_indices: Sequence[int],
    direction: Literal["horizontal", "vertical", "diagonal"] = "horizontal",
) -> tuple[np.ndarray, np.ndarray | None]:
    """Flip (N, K, D) keypoints in an image of (w, h) pixels and swap left/right keypoints.

    Returns:
        The flipped keypoints (N, K, D) and visibilities (N, K) (None stays None).

    Raises:
        ValueError: when ``flip_indices`` does not have K entries.
    """
    keypoints = np.asarray(keypoints, np.float32)
    if len(flip_indices) != keypoints.shape[-2]:
        raise ValueError(
            f"flip_indices has {len(flip_indices)} entries for {keypoints.shape[-2]} keypoints."
        )
    index = list(flip_indices)
    keypoints = keypoints[..., index, :].copy()
    if keypoints_visible is not None:
        keypoints_visible = np.asarray(keypoints_visible)[..., index].copy()
    w, h = image_size
    if direction in ("horizontal", "diagonal"):
        keypoints[..., 0] = w - 1 - keypoints[..., 0]
    if direction in ("vertical", "diagonal"):
        keypoints[..., 1] = h - 1 - keypoints[..., 1]
    return keypoints, keypoints_visible
