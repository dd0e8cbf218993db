"""Coordinate regression heads: ``RegressionHead`` (DeepPose, Toshev & Szegedy, CVPR 2014) and
``RLEHead`` (Li et al., "Human Pose Regression with Residual Log-likelihood Estimation",
ICCV 2021).

Shape shorthand: B samples, C channels, K keypoints. The input is the last map of the neck,
usually ``GlobalAveragePooling``'s (B, C) vector. Coordinates are normalised by the input size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from visionbox.core.models.base import BaseHead

from ...evaluation.functional import keypoint_pck_accuracy
from ...registry import MODELS
from ..builder import build_module
from .utils import build_decoder, decode_batch, flip_coordinates, gather_labels, to_numpy

__all__ = ["RLEHead", "RegressionHead"]


class _CoordHead(BaseHead):
    """Shared body of the regression heads: a linear layer to K * dims values."""

    dims: int

    def __init__(
        self,
        in_channels: int | Sequence[int],
        num_joints: int,
        loss: dict | nn.Module,
        decoder: dict | None,
        init_cfg: dict | list[dict] | None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, int):
            raise TypeError(
                f"{type(self).__name__} takes one in_channels value; got {in_channels!r}."
            )
        self.in_channels = in_channels
        self.num_joints = num_joints
        self.loss_module = build_module(loss)
        self.decoder = build_decoder(decoder)
        self.fc = nn.Linear(in_channels, num_joints * self.dims)

    def forward(self, feats: tuple[Tensor, ...]) -> Tensor:
        """(B, C) or (B, C, 1, 1) -> (B, K, dims)."""
        x = torch.flatten(feats[-1], 1)
        return self.fc(x).reshape(-1, self.num_joints, self.dims)

    def _flip_average(self, feats: list, batch_data_samples: list, test_cfg: dict) -> Tensor:
        if not (isinstance(feats, list) and len(feats) == 2):
            raise ValueError("flip_test expects feats = [feats, flipped feats].")
        flip_indices = batch_data_samples[0].metainfo["flip_indices"]
        input_size = batch_data_samples[0].metainfo["input_size"]
        outputs = self.forward(feats[0])
        flipped = self.forward(feats[1])
        coords = flip_coordinates(
            flipped[..., :2], flip_indices, test_cfg.get("shift_coords", True), input_size
        )
        flipped = torch.cat([coords, flipped[:, list(flip_indices), 2:]], dim=-1)
        return (outputs + flipped) * 0.5

    def _outputs(self, feats: Any, batch_data_samples: list, test_cfg: dict) -> Tensor:
        if test_cfg.get("flip_test", False):
            return self._flip_average(feats, batch_data_samples, test_cfg)
        return self.forward(feats)

    def _acc(self, coords: Tensor, labels: Tensor, weights: Tensor) -> Tensor:
        _, acc, _ = keypoint_pck_accuracy(
            to_numpy(coords),
            to_numpy(labels),
            to_numpy(weights) > 0,
            thr=0.05,
            norm_factor=np.ones((coords.size(0), 2), dtype=np.float32),
        )
        return torch.tensor(acc, device=coords.device)


@MODELS.register_module()
class RegressionHead(_CoordHead):
    """Regress (B, K, 2) normalised coordinates with one linear layer.

    Args:
        in_channels: Channels of the input vector.
        num_joints: K.
        loss: Coordinate loss config.
        decoder: Codec config (``RegressionLabel``) used by :meth:`predict`.
        init_cfg: Weight initialisation config.
    """

    dims = 2

    def __init__(
        self,
        in_channels: int | Sequence[int],
        num_joints: int,
        loss: dict | nn.Module = dict(type="SmoothL1Loss", use_target_weight=True),  # noqa: B006
        decoder: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(in_channels, num_joints, loss, decoder, init_cfg)

    def predict(self, feats: Any, batch_data_samples: list, test_cfg: dict | None = None) -> list:
        """Decoded keypoints (1, K, 2) in the input space with scores (1, K), per sample."""
        outputs = self._outputs(feats, batch_data_samples, test_cfg or {})
        return decode_batch(self.decoder, outputs.unsqueeze(1))

    def loss(
        self, feats: tuple[Tensor, ...], batch_data_samples: list, train_cfg: dict | None = None
    ) -> dict:
        pred = self.forward(feats)
        labels = gather_labels(batch_data_samples, "keypoint_labels", pred.device)
        weights = gather_labels(batch_data_samples, "keypoint_weights", pred.device)
        return dict(
            loss_kpt=self.loss_module(pred, labels, weights.unsqueeze(-1)),
            acc_pose=self._acc(pred, labels, weights),
        )


@MODELS.register_module()
class RLEHead(_CoordHead):
    """Regress (B, K, 4): coordinates and sigma logits, trained with :class:`RLELoss`.

    Args:
        in_channels: Channels of the input vector.
        num_joints: K.
        loss: RLE loss config (its flow model's parameters belong to the head:
            ``loss_module.flow_model.*``).
        decoder: Codec config (``RegressionLabel``); the score is ``1 - mean(sigma)``.
        init_cfg: Weight initialisation config.
    """

    dims = 4

    def __init__(
        self,
        in_channels: int | Sequence[int],
        num_joints: int,
        loss: dict | nn.Module = dict(type="RLELoss", use_target_weight=True),  # noqa: B006
        decoder: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(in_channels, num_joints, loss, decoder, init_cfg)

    def predict(self, feats: Any, batch_data_samples: list, test_cfg: dict | None = None) -> list:
        outputs = self._outputs(feats, batch_data_samples, test_cfg or {})
        outputs = torch.cat([outputs[..., :2], outputs[..., 2:].sigmoid()], dim=-1)
        return decode_batch(self.decoder, outputs.unsqueeze(1))

    def loss(
        self, feats: tuple[Tensor, ...], batch_data_samples: list, train_cfg: dict | None = None
    ) -> dict:
        pred = self.forward(feats)
        labels = gather_labels(batch_data_samples, "keypoint_labels", pred.device)
        weights = gather_labels(batch_data_samples, "keypoint_weights", pred.device)
        coords, sigma = pred[..., :2], pred[..., 2:4]
        return dict(
            loss_kpt=self.loss_module(coords, sigma, labels, weights.unsqueeze(-1)),
            acc_pose=self._acc(coords, labels, weights),
        )
