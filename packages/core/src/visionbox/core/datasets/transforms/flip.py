"""``RandomFlip``: horizontal, vertical and diagonal flips with per-direction probabilities.

Coordinates are continuous pixels, so a horizontal flip maps ``x`` to ``w - x`` for boxes, polygons
and keypoints alike, and flipping twice restores every value exactly. Keypoints are also re-ordered
with ``results['flip_indices']`` (the dataset's flip pairs, from its metainfo) after a mirror
(horizontal or vertical): the left wrist becomes the right wrist. A diagonal flip is a rotation by
180 degrees, not a mirror, so it keeps the keypoint order.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ...registry import TRANSFORMS
from .base import KEYPOINT_KEYS, BaseTransform, flip_boxes

__all__ = ["RandomFlip", "imflip"]

_DIRECTIONS = ("horizontal", "vertical", "diagonal")
_CV2_DTYPES = tuple(
    np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64)
)


def imflip(img: np.ndarray, direction: str) -> np.ndarray:
    """Flip an (H, W[, C]) array; returns a new contiguous array."""
    code = {"horizontal": 1, "vertical": 0, "diagonal": -1}[direction]
    if img.dtype in _CV2_DTYPES and (img.ndim == 2 or (img.ndim == 3 and img.shape[2] <= 4)):
        out = cv2.flip(np.ascontiguousarray(img), code)
        return out.reshape(img.shape)
    if direction in ("horizontal", "diagonal"):
        img = img[:, ::-1]
    if direction in ("vertical", "diagonal"):
        img = img[::-1]
    return np.ascontiguousarray(img)


def flip_keypoints(keypoints: np.ndarray, img_shape: tuple[int, int], direction: str) -> np.ndarray:
    """Flip the x/y columns of (N, K, 2+) keypoints (extra columns are kept)."""
    h, w = img_shape[:2]
    out = np.array(keypoints, dtype=np.float32, copy=True)
    if direction in ("horizontal", "diagonal"):
        out[..., 0] = w - out[..., 0]
    if direction in ("vertical", "diagonal"):
        out[..., 1] = h - out[..., 1]
    return out


@TRANSFORMS.register_module()
class RandomFlip(BaseTransform):
    """Flip the image and its annotations at random.

    Args:
        prob: Probability of flipping; a list gives one probability per direction (sum <= 1), a
            float is shared equally among the directions.
        direction: ``'horizontal'``, ``'vertical'``, ``'diagonal'`` or a list of them.
        swap_seg_labels: Pairs of segmentation labels to exchange after flipping (e.g. left and
            right arm classes).
    """

    def __init__(
        self,
        prob: float | list[float] | None = None,
        direction: str | Sequence[str] = "horizontal",
        swap_seg_labels: Sequence[Sequence[int]] | None = None,
    ) -> None:
        directions = [direction] if isinstance(direction, str) else list(direction)
        for d in directions:
            if d not in _DIRECTIONS:
                raise ValueError(f"RandomFlip direction must be in {_DIRECTIONS}, got {d!r}.")
        if isinstance(prob, (list, tuple)):
            if len(prob) != len(directions):
                raise ValueError(
                    f"RandomFlip got {len(prob)} probabilities for {len(directions)} directions."
                )
            probs = [float(p) for p in prob]
        elif isinstance(prob, (int, float)) and not isinstance(prob, bool):
            probs = [float(prob) / len(directions)] * len(directions)
        else:
            raise ValueError(f"RandomFlip prob must be a float or a list of floats, got {prob!r}.")
        if any(p < 0 for p in probs) or sum(probs) > 1 + 1e-6:
            raise ValueError(f"RandomFlip probabilities must be >= 0 and sum to <= 1, got {prob}.")
        self.prob = prob
        self.direction = direction
        self.swap_seg_labels = swap_seg_labels
        self._choices = directions + [None]
        self._probs = probs + [max(0.0, 1.0 - sum(probs))]

    def _choose_direction(self) -> str | None:
        idx = np.random.choice(len(self._choices), p=np.array(self._probs) / sum(self._probs))
        return self._choices[idx]

    def transform(self, results: dict) -> dict:
        direction = self._choose_direction()
        results["flip"] = direction is not None
        results["flip_direction"] = direction
        if direction is not None:
            self._flip(results, direction)
        return results

    def _flip(self, results: dict, direction: str) -> None:
        img_shape = results["img"].shape[:2]
        results["img"] = imflip(results["img"], direction)
        if results.get("gt_bboxes") is not None:
            results["gt_bboxes"] = flip_boxes(results["gt_bboxes"], img_shape, direction)
        if results.get("gt_masks") is not None:
            results["gt_masks"] = results["gt_masks"].flip(direction)
        if results.get("gt_seg_map") is not None:
            seg = imflip(results["gt_seg_map"], direction)
            if self.swap_seg_labels:
                swapped = seg.copy()
                for a, b in self.swap_seg_labels:
                    swapped[seg == a] = b
                    swapped[seg == b] = a
                seg = swapped
            results["gt_seg_map"] = seg
        flip_indices = results.get("flip_indices")
        mirror = direction in ("horizontal", "vertical")
        for key, vis_key in KEYPOINT_KEYS:
            if results.get(key) is None:
                continue
            kpts = flip_keypoints(results[key], img_shape, direction)
            if mirror and flip_indices is not None:
                order = np.asarray(flip_indices, dtype=np.int64)
                if order.shape[0] != kpts.shape[-2]:
                    raise ValueError(
                        f"flip_indices has {order.shape[0]} entries for {kpts.shape[-2]} keypoints."
                    )
                kpts = kpts[..., order, :]
                if results.get(vis_key) is not None:
                    results[vis_key] = np.asarray(results[vis_key])[..., order]
            results[key] = kpts
