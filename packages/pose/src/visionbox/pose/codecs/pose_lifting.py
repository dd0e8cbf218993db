"""Codecs of 2D-to-3D pose lifting: ``ImagePoseLifting`` (Martinez et al., "A simple yet
effective baseline for 3d human pose estimation", ICCV 2017) and ``VideoPoseLifting`` (Pavllo et
al., "3D human pose estimation in video with temporal convolutions", CVPR 2019).

Shape shorthand: T frames (the N axis of the 2D keypoints), K keypoints, C = 2 input dims.
The 3D target is (1, K, 3) or (K, 3) (the target frame); its root keypoint is ``root_index``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..registry import KEYPOINT_CODECS
from .base import BaseKeypointCodec

__all__ = ["ImagePoseLifting", "VideoPoseLifting"]

_LABELS = dict(
    trajectory_weights="trajectory_weights",
    lifting_target_label="lifting_target_label",
    lifting_target_weight="lifting_target_weight",
)
_INSTANCES = dict(lifting_target="lifting_target", lifting_target_visible="lifting_target_visible")


def _target(lifting_target: np.ndarray | None, keypoints: np.ndarray) -> np.ndarray:
    if lifting_target is None:
        return np.zeros((1, keypoints.shape[-2], 3), np.float32)
    target = np.asarray(lifting_target, np.float32)
    return target[None] if target.ndim == 2 else target


def _labels_to_input(labels: np.ndarray, reshape: bool) -> np.ndarray:
    """(T, K, C) -> (K * C, T) when ``reshape`` (the channels-first input of temporal models)."""
    if not reshape:
        return labels.astype(np.float32)
    t = labels.shape[0]
    return labels.transpose(1, 2, 0).reshape(-1, t).astype(np.float32)


class _LiftingBase(BaseKeypointCodec):
    auxiliary_encode_keys = {"lifting_target", "lifting_target_visible"}
    label_mapping_table = dict(keypoint_labels="keypoint_labels", **_LABELS)
    instance_mapping_table = _INSTANCES

    num_keypoints: int
    root_index: int
    remove_root: bool
    save_index: bool

    def _target_labels(self, target: np.ndarray, visible: np.ndarray | None, centre: bool):
        root = target[..., self.root_index, :].copy()  # (1, 3)
        label = target - root[..., None, :] if centre else target.copy()
        weight = (
            np.ones(target.shape[:-1], np.float32)
            if visible is None
            else np.asarray(visible, np.float32).reshape(target.shape[:-1])
        )
        trajectory_weights = 1.0 / np.maximum(np.abs(root[..., 2]), 1e-6)
        encoded = dict(target_root=root.astype(np.float32), trajectory_weights=trajectory_weights)
        if self.remove_root:
            label = np.delete(label, self.root_index, axis=-2)
            weight = np.delete(weight, self.root_index, axis=-1)
            if self.save_index:
                encoded["target_root_index"] = self.root_index
        encoded["lifting_target_label"] = label.astype(np.float32)
        encoded["lifting_target_weight"] = weight.astype(np.float32)
        return encoded

    def _restore(self, keypoints: np.ndarray, target_root: np.ndarray | None) -> np.ndarray:
        if target_root is not None and np.size(target_root) > 0:
            root = np.asarray(target_root, np.float32).reshape(-1, 1, 3)
            keypoints = keypoints + root
            if self.remove_root:
                keypoints = np.insert(keypoints, self.root_index, root[:, 0], axis=1)
        return keypoints


@KEYPOINT_CODECS.register_module()
class ImagePoseLifting(_LiftingBase):
    """Single-frame lifting: 2D keypoints (optionally standardised) -> root-relative 3D.

    Encoding gives ``keypoint_labels`` (the 2D input, (T, K, 2) or (K * 2, T) with
    ``reshape_keypoints``), ``lifting_target_label`` (1, K, 3) relative to the root (K - 1
    keypoints with ``remove_root``), ``lifting_target_weight``, ``target_root`` (1, 3) and
    ``trajectory_weights``. Decoding un-standardises and adds the root back, so
    ``decode(encode(x)['lifting_target_label'], root)`` gives ``x``.

    Args:
        num_keypoints: K.
        root_index: Index of the root keypoint (the pelvis in Human3.6M).
        remove_root: Drop the root from the target.
        save_index: Record the removed root's index.
        reshape_keypoints: Return the 2D input as (K * 2, T).
        concat_vis: Append the visibility as a third input channel.
        keypoints_mean, keypoints_std: (K, 2) statistics to standardise the 2D input.
        target_mean, target_std: (K, 3) statistics to standardise the 3D target.
        additional_encode_keys: Extra keys passed to ``encode`` (kept for configs).
    """

    def __init__(
        self,
        num_keypoints: int,
        root_index: int = 0,
        remove_root: bool = False,
        save_index: bool = False,
        reshape_keypoints: bool = True,
        concat_vis: bool = False,
        keypoints_mean: Sequence | None = None,
        keypoints_std: Sequence | None = None,
        target_mean: Sequence | None = None,
        target_std: Sequence | None = None,
        additional_encode_keys: list[str] | None = None,
    ) -> None:
        self.num_keypoints = num_keypoints
        self.root_index = root_index
        self.remove_root = remove_root
        self.save_index = save_index
        self.reshape_keypoints = reshape_keypoints
        self.concat_vis = concat_vis
        self.keypoints_mean = None if keypoints_mean is None else np.asarray(keypoints_mean)
        self.keypoints_std = None if keypoints_std is None else np.asarray(keypoints_std)
        self.target_mean = None if target_mean is None else np.asarray(target_mean)
        self.target_std = None if target_std is None else np.asarray(target_std)
        if (self.target_mean is None) != (self.target_std is None):
            raise ValueError("Set both target_mean and target_std, or neither.")
        if additional_encode_keys:
            self.auxiliary_encode_keys = self.auxiliary_encode_keys | set(additional_encode_keys)

    def encode(
        self,
        keypoints: np.ndarray,
        keypoints_visible: np.ndarray | None = None,
        lifting_target: np.ndarray | None = None,
        lifting_target_visible: np.ndarray | None = None,
    ) -> dict:
        keypoints = np.asarray(keypoints, np.float32)
        target = _target(lifting_target, keypoints)
        encoded = self._target_labels(target, lifting_target_visible, centre=True)
        if self.target_mean is not None:
            encoded["lifting_target_label"] = (
                (encoded["lifting_target_label"] - self.target_mean) / self.target_std
            ).astype(np.float32)
        labels = keypoints.copy()
        if self.keypoints_mean is not None and self.keypoints_std is not None:
            labels = (labels - self.keypoints_mean) / self.keypoints_std
        if self.concat_vis and keypoints_visible is not None:
            vis = np.asarray(keypoints_visible, np.float32)[..., None]
            labels = np.concatenate([labels, vis], axis=-1)
        encoded["keypoint_labels"] = _labels_to_input(labels, self.reshape_keypoints)
        encoded["keypoints_visible"] = (
            np.ones(keypoints.shape[:-1], np.float32)
            if keypoints_visible is None
            else np.asarray(keypoints_visible, np.float32)
        )
        return encoded

    def decode(
        self, encoded: np.ndarray, target_root: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(N, K, 3) root-relative outputs -> (N, K, 3) keypoints and (N, K) scores."""
        keypoints = np.asarray(encoded, np.float32).copy()
        if self.target_mean is not None:
            keypoints = keypoints * self.target_std + self.target_mean
        keypoints = self._restore(keypoints, target_root)
        return keypoints, np.ones(keypoints.shape[:-1], np.float32)


@KEYPOINT_CODECS.register_module()
class VideoPoseLifting(_LiftingBase):
    """Sequence lifting: T frames of 2D keypoints -> the target frame's 3D pose.

    The 2D input is normalised by the image (``x / w * 2 - [1, h / w]``) or, with
    ``normalize_camera``, by the camera (``(x - c) / f``); the target is relative to the root
    when ``zero_center``. Decoding adds the root back.

    Args:
        num_keypoints: K.
        zero_center: Make the target root-relative.
        root_index: Index of the root keypoint.
        remove_root: Drop the root from the target.
        save_index: Record the removed root's index.
        reshape_keypoints: Return the 2D input as (K * 2, T).
        concat_vis: Append the visibility as a third input channel.
        normalize_camera: Normalise with the camera's ``f`` and ``c`` instead of the image size.
    """

    def __init__(
        self,
        num_keypoints: int,
        zero_center: bool = True,
        root_index: int = 0,
        remove_root: bool = False,
        save_index: bool = False,
        reshape_keypoints: bool = True,
        concat_vis: bool = False,
        normalize_camera: bool = False,
    ) -> None:
        self.num_keypoints = num_keypoints
        self.zero_center = zero_center
        self.root_index = root_index
        self.remove_root = remove_root
        self.save_index = save_index
        self.reshape_keypoints = reshape_keypoints
        self.concat_vis = concat_vis
        self.normalize_camera = normalize_camera

    auxiliary_encode_keys = {"lifting_target", "lifting_target_visible", "camera_param"}

    def encode(
        self,
        keypoints: np.ndarray,
        keypoints_visible: np.ndarray | None = None,
        lifting_target: np.ndarray | None = None,
        lifting_target_visible: np.ndarray | None = None,
        camera_param: dict | None = None,
    ) -> dict:
        keypoints = np.asarray(keypoints, np.float32)
        target = _target(lifting_target, keypoints)
        encoded = self._target_labels(target, lifting_target_visible, centre=self.zero_center)
        if not self.zero_center:
            encoded["target_root"] = np.zeros_like(encoded["target_root"])
        camera = dict(camera_param or {})
        labels = keypoints.copy()
        if self.normalize_camera:
            if "f" not in camera or "c" not in camera:
                raise KeyError("normalize_camera=True needs camera_param with 'f' and 'c'.")
            centre = np.asarray(camera["c"], np.float32).reshape(-1)[:2]
            focal = np.asarray(camera["f"], np.float32).reshape(-1)[:2]
            labels = (labels - centre) / focal
        else:
            if "w" not in camera or "h" not in camera:
                raise KeyError("VideoPoseLifting needs camera_param with the image 'w' and 'h'.")
            w, h = float(camera["w"]), float(camera["h"])
            labels = labels / w * 2 - np.array([1.0, h / w], np.float32)
        if self.concat_vis and keypoints_visible is not None:
            vis = np.asarray(keypoints_visible, np.float32)[..., None]
            labels = np.concatenate([labels, vis], axis=-1)
        encoded["keypoint_labels"] = _labels_to_input(labels, self.reshape_keypoints)
        encoded["camera_param"] = camera
        return encoded

    def decode(
        self, encoded: np.ndarray, target_root: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(N, K, 3) outputs -> (N, K, 3) keypoints and (N, K) scores."""
        keypoints = self._restore(np.asarray(encoded, np.float32).copy(), target_root)
        return keypoints, np.ones(keypoints.shape[:-1], np.float32)
