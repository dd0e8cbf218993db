"""Transforms shared by the pose paradigms: ``GetBBoxCenterScale``, ``RandomFlip`` (with flip
indices), ``RandomHalfBody``, ``RandomBBoxTransform`` and ``GenerateTarget``.

Keys (mmpose 1.x): ``img`` (H, W, 3), ``bbox`` (N, 4) x1y1x2y2, ``bbox_center`` / ``bbox_scale``
(N, 2), ``bbox_rotation`` (N,), ``keypoints`` (N, K, 2), ``keypoints_visible`` (N, K),
``transformed_keypoints`` (N, K, 2, after an affine), ``flip_indices`` (K,).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from visionbox.core.datasets.transforms import BaseTransform

from ...codecs.base import BaseKeypointCodec
from ...registry import KEYPOINT_CODECS, TRANSFORMS
from ...structures import bbox_xyxy2cs, flip_bbox, flip_keypoints

__all__ = [
    "GenerateTarget",
    "GetBBoxCenterScale",
    "RandomBBoxTransform",
    "RandomFlip",
    "RandomHalfBody",
]


@TRANSFORMS.register_module()
class GetBBoxCenterScale(BaseTransform):
    """``bbox`` -> ``bbox_center`` and ``bbox_scale`` = (w, h) * padding.

    Args:
        padding: Enlargement of the box.
    """

    def __init__(self, padding: float = 1.25) -> None:
        self.padding = padding

    def transform(self, results: dict) -> dict:
        if "bbox_center" in results and "bbox_scale" in results:
            results["bbox_scale"] = results["bbox_scale"] * self.padding
        else:
            center, scale = bbox_xyxy2cs(results["bbox"], padding=self.padding)
            results["bbox_center"], results["bbox_scale"] = center, scale
        return results


@TRANSFORMS.register_module()
class RandomFlip(BaseTransform):
    """Flip the image, boxes and keypoints (swapping left and right with ``flip_indices``).

    Args:
        prob: Flip probability, or one per direction.
        direction: ``'horizontal'``, ``'vertical'``, ``'diagonal'`` or a list of them.
    """

    def __init__(
        self,
        prob: float | Sequence[float] = 0.5,
        direction: str | Sequence[str] = "horizontal",
    ) -> None:
        directions = [direction] if isinstance(direction, str) else list(direction)
        probs = [prob] * len(directions) if isinstance(prob, (int, float)) else list(prob)
        for d in directions:
            if d not in ("horizontal", "vertical", "diagonal"):
                raise ValueError(f"Unknown flip direction {d!r}; use horizontal/vertical/diagonal.")
        if len(probs) != len(directions) or sum(probs) > 1 + 1e-6:
            raise ValueError(f"prob {prob} does not fit the directions {directions}.")
        self.prob = prob
        self.direction = direction
        self._directions, self._probs = directions, probs

    def _choose(self) -> str | None:
        r = np.random.rand()
        acc = 0.0
        for d, p in zip(self._directions, self._probs):
            acc += p
            if r < acc:
                return d
        return None

    def transform(self, results: dict) -> dict:
        direction = self._choose()
        results["flip"] = direction is not None
        results["flip_direction"] = direction
        if direction is None:
            return results
        h, w = results.get("img_shape", results["img"].shape[:2])
        size = (w, h)
        if "img" in results:
            code = {"horizontal": 1, "vertical": 0, "diagonal": -1}[direction]
            results["img"] = np.ascontiguousarray(cv2.flip(results["img"], code))
        if "bbox" in results:
            results["bbox"] = flip_bbox(results["bbox"], size, "xyxy", direction)
        if "bbox_center" in results:
            results["bbox_center"] = flip_bbox(results["bbox_center"], size, "center", direction)
        if results.get("keypoints") is not None:
            flip_indices = results.get("flip_indices")
            if flip_indices is None:
                raise KeyError("RandomFlip needs results['flip_indices'] (from the dataset info).")
            kpts, vis = flip_keypoints(
                results["keypoints"],
                results.get("keypoints_visible"),
                size,
                flip_indices,
                direction,
            )
            results["keypoints"] = kpts
            if vis is not None:
                results["keypoints_visible"] = vis
        return results


@TRANSFORMS.register_module()
class RandomHalfBody(BaseTransform):
    """Sometimes replace the box by one around the upper or the lower body's visible keypoints.

    Args:
        min_total_keypoints: Visible keypoints needed to consider it.
        min_upper_keypoints: Visible upper-body keypoints needed to pick the upper half.
        min_lower_keypoints: Visible lower-body keypoints needed to pick the lower half.
        padding: Enlargement of the half-body box.
        prob: Probability per instance.
        upper_prioritized_prob: Probability to try the upper half first.
    """

    def __init__(
        self,
        min_total_keypoints: int = 9,
        min_upper_keypoints: int = 2,
        min_lower_keypoints: int = 3,
        padding: float = 1.5,
        prob: float = 0.3,
        upper_prioritized_prob: float = 0.7,
    ) -> None:
        self.min_total_keypoints = min_total_keypoints
        self.min_upper_keypoints = min_upper_keypoints
        self.min_lower_keypoints = min_lower_keypoints
        self.padding = padding
        self.prob = prob
        self.upper_prioritized_prob = upper_prioritized_prob

    def _half_body(self, kpts: np.ndarray, vis: np.ndarray, upper: list, lower: list):
        visible = vis > 0
        if visible.sum() < self.min_total_keypoints:
            return None
        up = [i for i in upper if visible[i]]
        low = [i for i in lower if visible[i]]
        ok_up, ok_low = len(up) >= self.min_upper_keypoints, len(low) >= self.min_lower_keypoints
        if not (ok_up or ok_low):
            return None
        upper_first = np.random.rand() < self.upper_prioritized_prob
        chosen = up if (ok_up and (upper_first or not ok_low)) else low
        pts = kpts[chosen]
        x1, y1 = pts.min(axis=0)
        x2, y2 = pts.max(axis=0)
        center = np.array([(x1 + x2) / 2, (y1 + y2) / 2], np.float32)
        scale = np.array([x2 - x1, y2 - y1], np.float32) * self.padding
        return center, scale

    def transform(self, results: dict) -> dict:
        if "keypoints" not in results or "bbox_center" not in results:
            return results
        upper = results.get("upper_body_ids", [])
        lower = results.get("lower_body_ids", [])
        centers, scales = results["bbox_center"].copy(), results["bbox_scale"].copy()
        for i in range(len(centers)):
            if np.random.rand() > self.prob:
                continue
            half = self._half_body(
                results["keypoints"][i], results["keypoints_visible"][i], upper, lower
            )
            if half is not None:
                centers[i], scales[i] = half
        results["bbox_center"], results["bbox_scale"] = centers, scales
        return results


@TRANSFORMS.register_module()
class RandomBBoxTransform(BaseTransform):
    """Randomly shift, scale and rotate the boxes (before ``TopdownAffine``).

    Args:
        shift_factor: Maximum shift as a fraction of the box size.
        shift_prob: Probability of a shift.
        scale_factor: (low, high) of the scale multiplier.
        scale_prob: Probability of a rescale.
        rotate_factor: Standard deviation of the rotation in degrees (clipped at twice it).
        rotate_prob: Probability of a rotation.
    """

    def __init__(
        self,
        shift_factor: float = 0.16,
        shift_prob: float = 0.3,
        scale_factor: tuple[float, float] = (0.5, 1.5),
        scale_prob: float = 1.0,
        rotate_factor: float = 80.0,
        rotate_prob: float = 0.6,
    ) -> None:
        self.shift_factor = shift_factor
        self.shift_prob = shift_prob
        self.scale_factor = tuple(scale_factor)
        self.scale_prob = scale_prob
        self.rotate_factor = rotate_factor
        self.rotate_prob = rotate_prob

    def transform(self, results: dict) -> dict:
        scale = results["bbox_scale"]
        n = scale.shape[0]
        shift = np.random.uniform(-1, 1, (n, 2)) * self.shift_factor
        shift = np.where(np.random.rand(n, 1) < self.shift_prob, shift, 0.0)
        low, high = self.scale_factor
        mu, sigma = (high + low) / 2, (high - low) / 2
        factor = np.clip(np.random.normal(mu, sigma / 2, (n, 1)), low, high)
        factor = np.where(np.random.rand(n, 1) < self.scale_prob, factor, 1.0)
        rotate = np.clip(
            np.random.normal(0, self.rotate_factor / 2, n), -self.rotate_factor, self.rotate_factor
        )
        rotate = np.where(np.random.rand(n) < self.rotate_prob, rotate, 0.0)
        results["bbox_center"] = (results["bbox_center"] + shift * scale).astype(np.float32)
        results["bbox_scale"] = (scale * factor).astype(np.float32)
        results["bbox_rotation"] = rotate.astype(np.float32)
        return results


@TRANSFORMS.register_module()
class GenerateTarget(BaseTransform):
    """Encode the keypoints with a codec into training targets.

    Uses ``transformed_keypoints`` (after an affine) when present. The codec's outputs are stored
    in the results under their own keys; ``keypoint_weights`` are multiplied by the dataset's
    keypoint weights when ``use_dataset_keypoint_weights``.

    Args:
        encoder: Codec config (or a list of configs, with ``multilevel``).
        target_type: Deprecated in mmpose; must be None.
        multilevel: Encode with each codec of a list and keep the lists.
        use_dataset_keypoint_weights: Multiply the weights by ``dataset_keypoint_weights``.
    """

    def __init__(
        self,
        encoder: dict | list[dict],
        target_type: str | None = None,
        multilevel: bool = False,
        use_dataset_keypoint_weights: bool = False,
    ) -> None:
        if target_type is not None:
            raise ValueError("GenerateTarget's target_type is deprecated in mmpose 1.x: remove it.")
        self.encoder_cfg = encoder
        self.multilevel = multilevel
        self.use_dataset_keypoint_weights = use_dataset_keypoint_weights
        cfgs = encoder if isinstance(encoder, list) else [encoder]
        self.encoders: list[BaseKeypointCodec] = [
            c if isinstance(c, BaseKeypointCodec) else KEYPOINT_CODECS.build(c) for c in cfgs
        ]
        self.encoder = self.encoders[0]
        if isinstance(encoder, list) and not multilevel and len(self.encoders) > 1:
            raise ValueError("Several encoders need multilevel=True.")

    def _encode(self, codec: BaseKeypointCodec, results: dict) -> dict:
        kpts = results.get("transformed_keypoints", results.get("keypoints"))
        if kpts is None:
            raise KeyError("GenerateTarget needs 'keypoints' in the results.")
        vis = results.get("keypoints_visible")
        extra = {k: results[k] for k in codec.auxiliary_encode_keys if k in results}
        encoded = codec.encode(kpts, vis, **extra)
        if self.use_dataset_keypoint_weights and "keypoint_weights" in encoded:
            weights = np.asarray(results["dataset_keypoint_weights"], np.float32)
            encoded["keypoint_weights"] = encoded["keypoint_weights"] * weights
        return encoded

    def transform(self, results: dict) -> dict:
        if not self.multilevel:
            results.update(self._encode(self.encoder, results))
        else:
            levels = [self._encode(c, results) for c in self.encoders]
            for key in levels[0]:
                results[key] = [lv[key] for lv in levels]
        results["label_mapping_table"] = self.encoder.label_mapping_table
        results["field_mapping_table"] = self.encoder.field_mapping_table
        results["instance_mapping_table"] = self.encoder.instance_mapping_table
        return results
