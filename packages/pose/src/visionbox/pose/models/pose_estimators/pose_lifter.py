"""``PoseLifter``: 2D keypoint sequences in, 3D keypoints out (Martinez et al., ICCV 2017;
Pavllo et al., CVPR 2019), with an optional root-trajectory branch.

Shape shorthand: B samples, K keypoints, T frames. Inputs are the codec's (K * 2, T) arrays.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from visionbox.core.models.base import BaseTaskModel

from ...registry import MODELS
from ..builder import build_module, pose_scope
from .common import build_pose_parts, build_preprocessor

__all__ = ["PoseLifter"]


@MODELS.register_module()
class PoseLifter(BaseTaskModel):
    """Pose lifter.

    Args:
        backbone: Backbone config (e.g. ``TCN``).
        neck: Neck config.
        head: Pose head config (``TemporalRegressionHead``).
        traj_backbone: Backbone of the trajectory branch (None: share ``backbone``).
        traj_neck: Neck of the trajectory branch.
        traj_head: Trajectory head config (``TrajectoryRegressionHead``); None: no branch.
        semi_loss: Semi-supervised loss (not supported; must be None).
        train_cfg: Passed to the heads' ``loss``.
        test_cfg: Passed to the heads' ``predict``.
        data_preprocessor: Data preprocessor config (default: batching only).
        init_cfg: Weight initialisation config.
        metainfo: Dataset metainfo (``dict(from_file=...)``).
    """

    def __init__(
        self,
        backbone: dict | nn.Module,
        neck: dict | nn.Module | None = None,
        head: dict | nn.Module | None = None,
        traj_backbone: dict | nn.Module | None = None,
        traj_neck: dict | nn.Module | None = None,
        traj_head: dict | nn.Module | None = None,
        semi_loss: dict | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        data_preprocessor: dict | nn.Module | None = None,
        init_cfg: dict | list[dict] | None = None,
        metainfo: dict | None = None,
    ) -> None:
        if semi_loss is not None:
            raise ValueError("PoseLifter does not support semi_loss.")
        super().__init__(data_preprocessor=build_preprocessor(data_preprocessor), init_cfg=init_cfg)
        build_pose_parts(self, backbone, neck, head, train_cfg, test_cfg, False, metainfo)
        with pose_scope():
            self.traj_backbone = build_module(traj_backbone) if traj_backbone is not None else None
            self.traj_neck = build_module(traj_neck) if traj_neck is not None else None
            self.traj_head = build_module(traj_head) if traj_head is not None else None

    @property
    def with_traj(self) -> bool:
        return self.traj_head is not None

    @staticmethod
    def _batch(inputs: Tensor | list[Tensor]) -> Tensor:
        return torch.stack(list(inputs)) if isinstance(inputs, (list, tuple)) else inputs

    def _traj_feats(self, inputs: Tensor, feats: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        if self.traj_backbone is None:
            return feats
        out = self.traj_backbone(inputs)
        if self.traj_neck is not None:
            out = self.traj_neck(out)
        return tuple(out) if isinstance(out, (list, tuple)) else (out,)

    def _forward(self, inputs: Tensor, data_samples: list | None = None) -> Any:
        inputs = self._batch(inputs)
        feats = self.extract_feat(inputs)
        pose = self.head.forward(feats)
        if not self.with_traj:
            return pose
        return pose, self.traj_head.forward(self._traj_feats(inputs, feats))

    def loss(self, inputs: Tensor, data_samples: list | None) -> dict:
        inputs = self._batch(inputs)
        feats = self.extract_feat(inputs)
        losses = self.head.loss(feats, data_samples, train_cfg=self.train_cfg)
        if self.with_traj:
            traj = self.traj_head.loss(
                self._traj_feats(inputs, feats), data_samples, train_cfg=self.train_cfg
            )
            losses.update({k if k.startswith("loss") else f"traj_{k}": v for k, v in traj.items()})
        return losses

    def predict(self, inputs: Tensor, data_samples: list | None) -> list:
        """``pred_instances.keypoints`` (1, K, 3) (root added back from ``target_root``) and,
        with the trajectory branch, ``trajectory`` (1, 1, 3)."""
        if data_samples is None:
            raise ValueError("PoseLifter.predict needs the data samples.")
        inputs = self._batch(inputs)
        feats = self.extract_feat(inputs)
        preds = self.head.predict(feats, data_samples, test_cfg=self.test_cfg)
        trajs = None
        if self.with_traj:
            trajs = self.traj_head.predict(
                self._traj_feats(inputs, feats), data_samples, test_cfg=self.test_cfg
            )
        for i, (pred, sample) in enumerate(zip(preds, data_samples)):
            pred.keypoints_visible = pred.keypoint_scores
            if trajs is not None:
                pred.trajectory = trajs[i].keypoints
            sample.pred_instances = pred
        return data_samples
