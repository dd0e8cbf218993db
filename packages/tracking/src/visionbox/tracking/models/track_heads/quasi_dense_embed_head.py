"""``QuasiDenseEmbedHead``: RoI features -> appearance embeddings, trained by matching the
positives of a key frame to all samples of a reference frame (QDTrack, CVPR 2021).

Shapes: P key positives, R reference samples (positives first), C RoI channels, S RoI size,
D = ``embed_channels``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from visionbox.core.models import ConvModule
from visionbox.tracking.registry import MODELS

__all__ = ["QuasiDenseEmbedHead"]


@MODELS.register_module()
class QuasiDenseEmbedHead(BaseModule):
    """Convs -> fcs -> ``fc_embed``.

    Args:
        num_convs: 3x3 conv layers.
        num_fcs: Fully connected layers.
        roi_feat_size: S, the RoI feature size.
        in_channels: C.
        conv_out_channels: Channels of the convs.
        with_avg_pool: Average-pool the RoI features before the fcs.
        fc_out_channels: Width of the fcs.
        conv_cfg: Conv config of the convs.
        norm_cfg: Norm config of the convs (``dict(type='GN', num_groups=32)``).
        embed_channels: D.
        softmax_temp: Temperature of the dot-product similarity (<= 0: none).
        loss_track: ``MultiPosCrossEntropyLoss`` config.
        loss_track_aux: ``MarginL2Loss`` config on cosine similarities, or ``None``.
        init_cfg: Initialisation config.
    """

    def __init__(
        self,
        num_convs: int = 0,
        num_fcs: int = 0,
        roi_feat_size: int = 7,
        in_channels: int = 256,
        conv_out_channels: int = 256,
        with_avg_pool: bool = False,
        fc_out_channels: int = 1024,
        conv_cfg: dict | None = None,
        norm_cfg: dict | None = None,
        embed_channels: int = 256,
        softmax_temp: float = -1,
        loss_track: dict | None = None,
        loss_track_aux: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if init_cfg is None:
            init_cfg = dict(
                type="Xavier",
                layer="Linear",
                distribution="uniform",
                bias=0,
                override=dict(type="Normal", name="fc_embed", mean=0, std=0.01, bias=0),
            )
        super().__init__(init_cfg=init_cfg)
        self.roi_feat_size = (
            (roi_feat_size, roi_feat_size)
            if isinstance(roi_feat_size, int)
            else tuple(roi_feat_size)
        )
        self.with_avg_pool = with_avg_pool
        self.softmax_temp = softmax_temp
        if with_avg_pool:
            self.avg_pool = nn.AvgPool2d(self.roi_feat_size)
        self.convs = nn.ModuleList(
            ConvModule(
                in_channels if i == 0 else conv_out_channels,
                conv_out_channels,
                3,
                padding=1,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
            )
            for i in range(num_convs)
        )
        dim = conv_out_channels if num_convs else in_channels
        if num_fcs and not with_avg_pool:
            dim *= self.roi_feat_size[0] * self.roi_feat_size[1]
        self.fcs = nn.ModuleList()
        for i in range(num_fcs):
            self.fcs.append(nn.Linear(dim if i == 0 else fc_out_channels, fc_out_channels))
        self.last_layer_dim = fc_out_channels if num_fcs else dim
        self.relu = nn.ReLU(inplace=True)
        self.fc_embed = nn.Linear(self.last_layer_dim, embed_channels)
        self.loss_track = MODELS.build(
            loss_track
            if loss_track is not None
            else dict(type="MultiPosCrossEntropyLoss", loss_weight=0.25)
        )
        self.loss_track_aux = MODELS.build(loss_track_aux) if loss_track_aux is not None else None

    def forward(self, x: Tensor) -> Tensor:
        """(K, C, S, S) RoI features -> (K, D) embeddings."""
        for conv in self.convs:
            x = conv(x)
        if self.with_avg_pool:
            x = self.avg_pool(x)
        x = x.flatten(1)
        for fc in self.fcs:
            x = self.relu(fc(x))
        return self.fc_embed(x)

    @staticmethod
    def get_targets(
        gt_match_indices: list[Tensor],
        key_pos_gt: list[Tensor],
        ref_pos_gt: list[Tensor],
        ref_counts: list[int],
    ) -> tuple[list[Tensor], list[Tensor]]:
        """Per image: (P, R) targets, 1 where a key positive and a reference positive belong to
        the same object, and (P,) weights (1 for key positives that have a match)."""
        targets, weights = [], []
        for match, key_gt, ref_gt, count in zip(
            gt_match_indices, key_pos_gt, ref_pos_gt, ref_counts
        ):
            target = key_gt.new_zeros((len(key_gt), count), dtype=torch.int)
            same = match[key_gt][:, None] == ref_gt[None, :]
            target[:, : len(ref_gt)] = (same & (match[key_gt][:, None] >= 0)).int()
            targets.append(target)
            weights.append((target.sum(dim=1) > 0).float())
        return targets, weights

    def loss_by_feat(
        self,
        key_embeds: list[Tensor],
        ref_embeds: list[Tensor],
        targets: list[Tensor],
        weights: list[Tensor],
    ) -> dict[str, Tensor]:
        """``loss_track`` (and ``loss_track_aux``) averaged over the images."""
        loss_track = key_embeds[0].new_zeros(())
        loss_aux = key_embeds[0].new_zeros(())
        for key, ref, target, weight in zip(key_embeds, ref_embeds, targets, weights):
            dist = key @ ref.t()
            if self.softmax_temp > 0:
                dist = dist / self.softmax_temp
            loss_track = loss_track + self.loss_track(dist, target, weight, avg_factor=weight.sum())
            if self.loss_track_aux is not None:
                cos = F.normalize(key, dim=1) @ F.normalize(ref, dim=1).t()
                loss_aux = loss_aux + self.loss_track_aux(cos, target)
        losses = dict(loss_track=loss_track / len(key_embeds))
        if self.loss_track_aux is not None:
            losses["loss_track_aux"] = loss_aux / len(key_embeds)
        return losses
