"""``BaseKeypointCodec``: the encode / decode contract of every keypoint codec.

Shape shorthand: N instances, K keypoints, D coordinate dimensions (2 or 3), H x W heatmaps.
``encode`` turns keypoints in the model's *input* space into training targets; ``decode`` turns
one sample's model outputs back into keypoints in the input space (the pose estimator maps them on
to the original image with the sample's metainfo).
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

import numpy as np

__all__ = ["BaseKeypointCodec"]


class BaseKeypointCodec(metaclass=ABCMeta):
    """Base of the keypoint codecs.

    Attributes:
        auxiliary_encode_keys: Extra keys of the results dict that ``GenerateTarget`` passes to
            ``encode`` as keyword arguments when they are present.
        label_mapping_table: How ``PackPoseInputs`` packs each encoded key into
            ``gt_instance_labels`` (``InstanceData``).
        field_mapping_table: The encoded keys that go to ``gt_fields`` (``PixelData``).
        instance_mapping_table: The encoded keys that go to ``gt_instances``.
    """

    auxiliary_encode_keys: set[str] = set()
    label_mapping_table: dict[str, str] = dict()
    field_mapping_table: dict[str, str] = dict()
    instance_mapping_table: dict[str, str] = dict()

    @abstractmethod
    def encode(
        self, keypoints: np.ndarray, keypoints_visible: np.ndarray | None = None, **kwargs: Any
    ) -> dict:
        """Encode (N, K, D) keypoints and (N, K) visibilities into a dict of targets."""

    @abstractmethod
    def decode(self, encoded: Any) -> tuple[np.ndarray, np.ndarray]:
        """Decode one sample's outputs into (N, K, D) keypoints and (N, K) scores."""

    def batch_decode(self, batch_encoded: Any) -> list[tuple[np.ndarray, np.ndarray]]:
        """Decode a batch; the default decodes sample by sample."""
        return [self.decode(encoded) for encoded in batch_encoded]

    @property
    def support_batch_decoding(self) -> bool:
        """Whether :meth:`batch_decode` is specialised."""
        return type(self).batch_decode is not BaseKeypointCodec.batch_decode


def _visible(keypoints: np.ndarray, keypoints_visible: np.ndarray | None) -> np.ndarray:
    """(N, K) float visibilities; all ones when ``keypoints_visible`` is None."""
    if keypoints_visible is None:
        return np.ones(keypoints.shape[:2], dtype=np.float32)
    visible = np.asarray(keypoints_visible, dtype=np.float32)
    if visible.shape != keypoints.shape[:2]:
        raise ValueError(
            f"keypoints_visible has shape {visible.shape}; expected {keypoints.shape[:2]} "
            "(N instances, K keypoints) to match the keypoints."
        )
    return visible


def _check_keypoints(keypoints: np.ndarray, dims: tuple[int, ...] = (2,)) -> np.ndarray:
    keypoints = np.asarray(keypoints, dtype=np.float32)
    if keypoints.ndim != 3 or keypoints.shape[-1] not in dims:
        raise ValueError(
            f"keypoints must have shape (N, K, D) with D in {dims}; got {keypoints.shape}."
        )
    return keypoints
