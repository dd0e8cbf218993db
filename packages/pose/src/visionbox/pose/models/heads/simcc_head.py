"""``SimCCHead``: heatmap features flattened and classified into x / y bins (Li et al., "SimCC",
ECCV 2022).

Shape shorthand: B samples, K keypoints, (w, h) input size, W_x = w * ratio, W_y = h * ratio.
``state_dict`` keys as mmpose's: ``deconv_head.*`` (a :class:`HeatmapHead` without loss) or
``final_layer``, then ``mlp_head_x`` and ``mlp_head_y``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
from mmengine.structures import PixelData
from torch import Tensor, nn

from visionbox.core.models.base import BaseHead
from visionbox.core.models.layers import build_conv_layer

from ...evaluation.functional import keypoint_pck_accuracy
from ...registry import MODELS
from ..builder import build_module
from .heatmap_head import HeatmapHead
from .utils import build_decoder, decode_batch, flip_vectors, gather_labels, to_numpy

__all__ = ["SimCCHead"]


@MODELS.register_module()
class SimCCHead(BaseHead):
    """SimCC head.

    Args:
        in_channels: Channels of the last backbone map.
        out_channels: K.
        input_size: (w, h) of the model input.
        in_featuremap_size: (w, h) of the last backbone map.
        simcc_split_ratio: Bins per input pixel.
        deconv_type: ``'heatmap'`` (a :class:`HeatmapHead` trunk; mmpose's ``'vipnas'`` is not
            supported).
        deconv_out_channels: Channels of the deconvs (None: no deconv, only ``final_layer``).
        deconv_kernel_sizes: Their kernel sizes.
        deconv_num_groups: Groups of the ViPNAS deconvs (kept for configs).
        conv_out_channels: Channels of the convs after the deconvs.
        conv_kernel_sizes: Their kernel sizes.
        final_layer: Arguments of the final 1x1 conv to K maps.
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
        deconv_type: Literal["heatmap"] = "heatmap",
        deconv_out_channels: Sequence[int] | None = (256, 256, 256),
        deconv_kernel_sizes: Sequence[int] | None = (4, 4, 4),
        deconv_num_groups: Sequence[int] | None = (16, 16, 16),
        conv_out_channels: Sequence[int] | None = None,
        conv_kernel_sizes: Sequence[int] | None = None,
        final_layer: dict | None = dict(kernel_size=1),  # noqa: B006 (read-only default)
        loss: dict | nn.Module = dict(type="KLDiscretLoss", use_target_weight=True),  # noqa: B006
        decoder: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if init_cfg is None:
            init_cfg = [
                dict(type="Normal", layer=["Conv2d", "ConvTranspose2d"], std=0.001),
                dict(type="Constant", layer="BatchNorm2d", val=1),
                dict(type="Normal", layer=["Linear"], std=0.01, bias=0),
            ]
        super().__init__(init_cfg=init_cfg)
        if deconv_type != "heatmap":
            raise ValueError(f"SimCCHead supports deconv_type='heatmap' only; got {deconv_type!r}.")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.input_size = tuple(input_size)
        self.in_featuremap_size = tuple(in_featuremap_size)
        self.simcc_split_ratio = simcc_split_ratio
        self.deconv_num_groups = deconv_num_groups
        self.loss_module = build_module(loss)
        self.decoder = build_decoder(decoder)
        num_deconv = len(deconv_out_channels) if deconv_out_channels else 0
        if num_deconv:
            self.heatmap_size = tuple(s * 2**num_deconv for s in in_featuremap_size)
            self.deconv_head: nn.Module | None = HeatmapHead(
                in_channels=in_channels,
                out_channels=out_channels,
                deconv_out_channels=deconv_out_channels,
                deconv_kernel_sizes=deconv_kernel_sizes,
                conv_out_channels=conv_out_channels,
                conv_kernel_sizes=conv_kernel_sizes,
                final_layer=final_layer,
            )
            self.final_layer: nn.Module | None = None
        else:
            self.heatmap_size = self.in_featuremap_size
            self.deconv_head = None
            if final_layer is not None:
                cfg = dict(
                    type="Conv2d", in_channels=in_channels, out_channels=out_channels, kernel_size=1
                )
                cfg.update(final_layer)
                self.final_layer = build_conv_layer(cfg)
            else:
                self.final_layer = None
        flatten_dims = self.heatmap_size[0] * self.heatmap_size[1]
        self.mlp_head_x = nn.Linear(flatten_dims, int(self.input_size[0] * simcc_split_ratio))
        self.mlp_head_y = nn.Linear(flatten_dims, int(self.input_size[1] * simcc_split_ratio))

    def forward(self, feats: tuple[Tensor, ...]) -> tuple[Tensor, Tensor]:
        """Features -> (B, K, W_x) and (B, K, W_y) logits."""
        if self.deconv_head is None:
            x = feats[-1]
            if self.final_layer is not None:
                x = self.final_layer(x)
        else:
            x = self.deconv_head(feats)
        x = torch.flatten(x, 2)
        if x.shape[-1] != self.mlp_head_x.in_features:
            raise ValueError(
                f"SimCCHead expects {self.heatmap_size[1]}x{self.heatmap_size[0]} maps "
                f"(in_featuremap_size={self.in_featuremap_size}); got {x.shape[-1]} pixels."
            )
        return self.mlp_head_x(x), self.mlp_head_y(x)

    def predict(self, feats: Any, batch_data_samples: list, test_cfg: dict | None = None) -> Any:
        """Decoded keypoints (1, K, 2) in the input space and scores, per sample."""
        test_cfg = test_cfg or {}
        if test_cfg.get("flip_test", False):
            if not (isinstance(feats, list) and len(feats) == 2):
                raise ValueError("flip_test expects feats = [feats, flipped feats].")
            flip_indices = batch_data_samples[0].metainfo["flip_indices"]
            x, y = self.forward(feats[0])
            fx, fy = flip_vectors(*self.forward(feats[1]), flip_indices)
            x, y = (x + fx) * 0.5, (y + fy) * 0.5
        else:
            x, y = self.forward(feats)
        preds = decode_batch(self.decoder, (x.unsqueeze(1), y.unsqueeze(1)))
        if test_cfg.get("output_heatmaps", False):
            maps = torch.einsum("bky,bkx->bkyx", y.softmax(-1), x.softmax(-1))
            return preds, [PixelData(heatmaps=m) for m in maps.detach()]
        return preds

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
