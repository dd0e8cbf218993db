"""``VisPredictHead``: wraps a pose head and adds a keypoint-visibility branch trained with
``BCELoss`` on the visibility labels (mmpose's ``hybrid_heads/vis_head.py``).

Shape shorthand: B samples, C channels, K keypoints. ``state_dict`` keys: ``pose_head.*`` and
``vis_head.2`` (the linear layer after pooling and flattening).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from visionbox.core.models.base import BaseHead

from ...registry import MODELS
from ..builder import build_module
from .utils import gather_labels, to_numpy

__all__ = ["VisPredictHead"]


@MODELS.register_module()
class VisPredictHead(BaseHead):
    """Visibility branch + any pose head.

    Args:
        pose_cfg: Config of the wrapped pose head; its ``in_channels`` and ``out_channels`` (or
            ``num_joints``) size the visibility branch.
        loss: Visibility loss config; ``use_sigmoid=True`` makes the branch end with a sigmoid.
        init_cfg: Weight initialisation config.
    """

    def __init__(
        self,
        pose_cfg: dict,
        loss: dict = dict(type="BCELoss", use_target_weight=False, use_sigmoid=True),  # noqa: B006
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if init_cfg is None:
            init_cfg = dict(type="Constant", layer="Linear", val=0, bias=1)
        super().__init__(init_cfg=init_cfg)
        self.in_channels = pose_cfg["in_channels"]
        joints = pose_cfg.get("num_joints", pose_cfg.get("out_channels"))
        if joints is None:
            raise ValueError("VisPredictHead needs 'num_joints' or 'out_channels' in pose_cfg.")
        self.out_channels = int(joints)
        self.loss_module = build_module(dict(loss))
        self.pose_head = build_module(dict(pose_cfg))
        self.pose_cfg = pose_cfg
        self.use_sigmoid = bool(loss.get("use_sigmoid", False))
        modules: list[nn.Module] = [
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(self.in_channels, self.out_channels),
        ]
        if self.use_sigmoid:
            modules.append(nn.Sigmoid())
        self.vis_head = nn.Sequential(*modules)

    def vis_forward(self, feats: tuple[Tensor, ...]) -> Tensor:
        """Last map (B, C, h, w) or vector (B, C) -> (B, K) visibilities (or logits)."""
        x = feats[-1]
        while x.dim() < 4:
            x = x.unsqueeze(-1)
        return self.vis_head(x).reshape(-1, self.out_channels)

    def forward(self, feats: tuple[Tensor, ...]) -> tuple[Any, Tensor]:
        return self.pose_head.forward(feats), self.vis_forward(feats)

    def predict(self, feats: Any, batch_data_samples: list, test_cfg: dict | None = None) -> Any:
        """The pose head's predictions with ``keypoints_visible`` (1, K) set by the branch."""
        test_cfg = test_cfg or {}
        if test_cfg.get("flip_test", False):
            flip_indices = list(batch_data_samples[0].metainfo["flip_indices"])
            vis = self.vis_forward(feats[0])
            vis_flip = self.vis_forward(feats[1])[:, flip_indices]
            vis = (vis + vis_flip) * 0.5
        else:
            vis = self.vis_forward(feats)
        if not self.use_sigmoid:
            vis = torch.sigmoid(vis)
        preds = self.pose_head.predict(feats, batch_data_samples, test_cfg=test_cfg)
        instances = preds[0] if isinstance(preds, tuple) else preds
        for instance, v in zip(instances, to_numpy(vis)):
            instance.keypoints_visible = v[None]
        return preds

    @torch.no_grad()
    def vis_accuracy(self, pred: Tensor, labels: Tensor, weights: Tensor | None) -> Tensor:
        """Weighted fraction of visibilities on the right side of 0.5."""
        probs = pred if self.use_sigmoid else torch.sigmoid(pred)
        correct = ((probs >= 0.5).float() == labels).float()
        if weights is None:
            return correct.mean(dim=1).mean()
        return ((correct * weights).sum(dim=1) / (weights.sum(dim=1) + 1e-6)).mean()

    def loss(
        self, feats: tuple[Tensor, ...], batch_data_samples: list, train_cfg: dict | None = None
    ) -> dict:
        """``loss_vis`` and ``acc_vis`` against the keypoint weights, then the pose head's."""
        pred = self.vis_forward(feats)
        labels = gather_labels(batch_data_samples, "keypoint_weights", pred.device)
        labels = (labels > 0).float()
        weights = None
        if self.loss_module.use_target_weight:
            weights = torch.cat(
                [
                    torch.as_tensor(
                        np.asarray(d.gt_instance_labels.get("keypoints_visible_weights"))
                        if "keypoints_visible_weights" in d.gt_instance_labels
                        else np.ones(d.gt_instance_labels.keypoint_weights.shape, np.float32)
                    )
                    for d in batch_data_samples
                ]
            ).to(pred)
        losses = dict(
            loss_vis=self.loss_module(pred, labels, weights),
            acc_vis=self.vis_accuracy(pred, labels, weights),
        )
        losses.update(self.pose_head.loss(feats, batch_data_samples, train_cfg=train_cfg))
        return losses
