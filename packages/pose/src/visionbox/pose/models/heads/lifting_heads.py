"""Heads of pose lifting: ``TemporalRegressionHead`` (root-relative 3D keypoints of the target
frame, Pavllo et al., CVPR 2019) and ``TrajectoryRegressionHead`` (the root's trajectory).

Shape shorthand: B sequences, C channels, T' remaining frames, K keypoints. ``state_dict`` key:
``conv`` (a 1x1 Conv1d to K * 3 channels).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from mmengine.structures import InstanceData
from torch import Tensor, nn

from visionbox.core.models.base import BaseHead

from ...registry import MODELS
from ..builder import build_module
from .utils import build_decoder, gather_labels, to_numpy

__all__ = ["TemporalRegressionHead", "TrajectoryRegressionHead"]


def _target_roots(batch_data_samples: list) -> list[np.ndarray | None]:
    roots = []
    for sample in batch_data_samples:
        root = sample.metainfo.get("target_root")
        roots.append(None if root is None else np.asarray(root, np.float32))
    return roots


class _LiftingHead(BaseHead):
    """A 1x1 temporal conv on the last (B, C, T') map; the last frame is the output."""

    loss_key: str
    label_key: str
    weight_key: str

    def __init__(
        self,
        in_channels: int,
        num_joints: int,
        loss: dict | nn.Module,
        decoder: dict | None,
        init_cfg: dict | list[dict] | None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_joints = num_joints
        self.loss_module = build_module(loss)
        self.decoder = build_decoder(decoder)
        self.conv = nn.Conv1d(in_channels, num_joints * 3, 1)

    def forward(self, feats: tuple[Tensor, ...]) -> Tensor:
        """(B, C, T') -> (B, K, 3) from the last frame."""
        x = self.conv(feats[-1])
        return x[..., -1].reshape(-1, self.num_joints, 3)

    def predict(self, feats: Any, batch_data_samples: list, test_cfg: dict | None = None) -> list:
        """Decoded 3D keypoints (1, K, 3) per sample (the root added back when the sample's
        metainfo has ``target_root``)."""
        outputs = to_numpy(self.forward(feats))
        if self.decoder is None:
            raise RuntimeError(f"{type(self).__name__} has no decoder: set decoder=<codec>.")
        preds = []
        for output, root in zip(outputs, _target_roots(batch_data_samples)):
            keypoints, scores = self.decoder.decode(output[None], target_root=self._root(root))
            preds.append(InstanceData(keypoints=keypoints, keypoint_scores=scores))
        return preds

    def _root(self, root: np.ndarray | None) -> np.ndarray | None:
        return root

    def loss(
        self, feats: tuple[Tensor, ...], batch_data_samples: list, train_cfg: dict | None = None
    ) -> dict:
        pred = self.forward(feats)
        target = gather_labels(batch_data_samples, self.label_key, pred.device).reshape(pred.shape)
        weight = gather_labels(batch_data_samples, self.weight_key, pred.device)
        loss = self.loss_module(pred, target, weight.reshape(pred.shape[0], -1))
        with torch.no_grad():
            mpjpe = torch.norm(pred - target, dim=-1).mean()
        return {self.loss_key: loss, "mpjpe": mpjpe}


@MODELS.register_module()
class TemporalRegressionHead(_LiftingHead):
    """Root-relative 3D keypoints of the target frame.

    Args:
        in_channels: Channels of the last temporal map.
        num_joints: K (K - 1 when the codec removes the root).
        loss: Loss config (``MPJPELoss``).
        decoder: Codec config (``VideoPoseLifting`` / ``ImagePoseLifting``).
        init_cfg: Weight initialisation config.
    """

    loss_key = "loss_pose3d"
    label_key = "lifting_target_label"
    weight_key = "lifting_target_weight"

    def __init__(
        self,
        in_channels: int,
        num_joints: int,
        loss: dict | nn.Module = dict(type="MSELoss"),  # noqa: B006 (read-only default)
        decoder: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(in_channels, num_joints, loss, decoder, init_cfg)


@MODELS.register_module()
class TrajectoryRegressionHead(_LiftingHead):
    """The root's 3D trajectory (camera coordinates) of the target frame.

    Args:
        in_channels: Channels of the last temporal map.
        num_joints: 1 (the root).
        loss: Loss config (``MPJPELoss`` with ``use_target_weight``, weighted by ``1 / depth``).
        decoder: Codec config.
        init_cfg: Weight initialisation config.
    """

    loss_key = "loss_traj"
    label_key = "target_root"
    weight_key = "trajectory_weights"

    def __init__(
        self,
        in_channels: int,
        num_joints: int,
        loss: dict | nn.Module = dict(type="MPJPELoss", use_target_weight=True),  # noqa: B006
        decoder: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(in_channels, num_joints, loss, decoder, init_cfg)

    def _root(self, root: np.ndarray | None) -> None:
        return None  # the trajectory is absolute: nothing to add back
