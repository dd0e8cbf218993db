"""``RTMCCHead``: RTMPose's SimCC head with a gated attention unit over keypoint tokens (Jiang et
al., "RTMPose: Real-Time Multi-Person Pose Estimation based on MMPose", 2023).

Shape shorthand: B samples, K keypoints, (w, h) input size, W_x / W_y bins. ``state_dict`` keys as
mmpose's: ``final_layer``, ``mlp.{0,1}``, ``gau.*``, ``cls_x``, ``cls_y``.
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
from .rtmcc_block import RTMCCBlock, ScaleNorm
from .utils import build_decoder, decode_batch, flip_vectors, gather_labels, to_numpy

__all__ = ["RTMCCHead"]

_GAU = dict(
    hidden_dims=256, s=128, expansion_factor=2, dropout_rate=0.0, drop_path=0.0,
    act_fn="ReLU", use_rel_bias=False, pos_enc=False,
)  # fmt: skip


@MODELS.register_module()
class RTMCCHead(BaseHead):
    """RTMPose head: a large-kernel conv to K maps, a per-keypoint MLP, a GAU, x/y classifiers.

    Args:
        in_channels: Channels of the last backbone map.
        out_channels: K.
        input_size: (w, h) of the model input.
        in_featuremap_size: (w, h) of the last backbone map.
        simcc_split_ratio: Bins per input pixel.
        final_layer_kernel_size: Kernel of the conv to K maps.
        gau_cfg: ``hidden_dims``, ``s``, ``expansion_factor``, ``dropout_rate``, ``drop_path``,
            ``act_fn``, ``use_rel_bias``, ``pos_enc``.
        loss: SimCC loss config.
        decoder: Codec config (``SimCCLabel``).
        init_cfg: Weight initialisation config.
    """

    def __init__(
        self,
        in_channels: int | Sequence[int],
        out_channels: int,
        input_size: tuple[int, int],
        in_featuremap_size: tuple[int, int],
        simcc_split_ratio: float = 2.0,
        final_layer_kernel_size: int = 1,
        gau_cfg: dict = _GAU,
        loss: dict | nn.Module = dict(type="KLDiscretLoss", use_target_weight=True),  # noqa: B006
        decoder: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if init_cfg is None:
            init_cfg = [
                dict(type="Normal", layer=["Conv2d"], std=0.001),
                dict(type="Constant", layer="BatchNorm2d", val=1),
                dict(type="Normal", layer=["Linear"], std=0.01, bias=0),
            ]
        super().__init__(init_cfg=init_cfg)
        unknown = set(gau_cfg) - set(_GAU)
        if unknown:
            raise KeyError(f"Unknown gau_cfg keys {sorted(unknown)}; allowed: {sorted(_GAU)}.")
        gau = {**_GAU, **gau_cfg}
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.input_size = tuple(input_size)
        self.in_featuremap_size = tuple(in_featuremap_size)
        self.simcc_split_ratio = simcc_split_ratio
        self.loss_module = build_module(loss)
        self.decoder = build_decoder(decoder)
        self.final_layer = nn.Conv2d(
            in_channels, out_channels, final_layer_kernel_size, 1, final_layer_kernel_size // 2
        )
        flatten_dims = self.in_featuremap_size[0] * self.in_featuremap_size[1]
        hidden = gau["hidden_dims"]
        self.mlp = nn.Sequential(
            ScaleNorm(flatten_dims), nn.Linear(flatten_dims, hidden, bias=False)
        )
        self.gau = RTMCCBlock(
            out_channels,
            hidden,
            hidden,
            s=gau["s"],
            expansion_factor=gau["expansion_factor"],
            dropout_rate=gau["dropout_rate"],
            drop_path=gau["drop_path"],
            attn_type="self-attn",
            act_fn=gau["act_fn"],
            use_rel_bias=gau["use_rel_bias"],
            pos_enc=gau["pos_enc"],
        )
        self.cls_x = nn.Linear(hidden, int(self.input_size[0] * simcc_split_ratio), bias=False)
        self.cls_y = nn.Linear(hidden, int(self.input_size[1] * simcc_split_ratio), bias=False)

    def forward(self, feats: tuple[Tensor, ...]) -> tuple[Tensor, Tensor]:
        """Last map (B, C, h, w) -> (B, K, W_x) and (B, K, W_y) logits."""
        x = torch.flatten(self.final_layer(feats[-1]), 2)
        x = self.gau(self.mlp(x))
        return self.cls_x(x), self.cls_y(x)

    def predict(self, feats: Any, batch_data_samples: list, test_cfg: dict | None = None) -> list:
        test_cfg = test_cfg or {}
        if test_cfg.get("flip_test", False):
            flip_indices = batch_data_samples[0].metainfo["flip_indices"]
            x, y = self.forward(feats[0])
            fx, fy = flip_vectors(*self.forward(feats[1]), flip_indices)
            x, y = (x + fx) * 0.5, (y + fy) * 0.5
        else:
            x, y = self.forward(feats)
        return decode_batch(self.decoder, (x.unsqueeze(1), y.unsqueeze(1)))

    def loss(
        self, feats: tuple[Tensor, ...], batch_data_samples: list, train_cfg: dict | None = None
    ) -> dict:
        pred_x, pred_y = self.forward(feats)
        gt_x = gather_labels(batch_data_samples, "keypoint_x_labels", pred_x.device)
        gt_y = gather_labels(batch_data_samples, "keypoint_y_labels", pred_x.device)
        weights = gather_labels(batch_data_samples, "keypoint_weights", pred_x.device)
        loss = self.loss_module((pred_x, pred_y), (gt_x, gt_y), weights)
        pred_locs = np.stack([to_numpy(pred_x).argmax(-1), to_numpy(pred_y).argmax(-1)], -1)
        gt_locs = np.stack([to_numpy(gt_x).argmax(-1), to_numpy(gt_y).argmax(-1)], -1)
        norm = np.tile(
            np.array(self.input_size, np.float32) * self.simcc_split_ratio, (len(gt_locs), 1)
        )
        _, acc, _ = keypoint_pck_accuracy(
            pred_locs.astype(np.float32),
            gt_locs.astype(np.float32),
            to_numpy(weights) > 0,
            0.05,
            norm,
        )
        return dict(loss_kpt=loss, acc_pose=torch.tensor(acc, device=pred_x.device))
