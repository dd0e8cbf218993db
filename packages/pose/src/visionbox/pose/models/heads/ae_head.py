"""``AssociativeEmbeddingHead``: heatmaps and tag maps from one heatmap trunk (Newell et al.,
NeurIPS 2017). ``state_dict`` keys as mmpose's (``deconv_layers``, ``conv_layers``,
``final_layer``); the final conv has K + K * L (or K + L) channels.

Shape shorthand: B images, K keypoints, L tag dimensions, H x W maps, (w, h) input size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor, nn

from visionbox.core.models.base import BaseHead

from ...registry import MODELS
from ..builder import build_module
from .heatmap_head import build_heatmap_layers
from .utils import build_decoder, flip_heatmaps, to_numpy

__all__ = ["AssociativeEmbeddingHead"]


@MODELS.register_module()
class AssociativeEmbeddingHead(BaseHead):
    """Bottom-up heatmap + tag head.

    Args:
        in_channels: Channels of the last map.
        num_keypoints: K.
        tag_dim: L, the tag dimensions.
        tag_per_keypoint: One tag map per keypoint type (else L maps shared by all).
        deconv_out_channels: Channels of the deconvs (None: none).
        deconv_kernel_sizes: Their kernel sizes.
        conv_out_channels: Channels of the convs.
        conv_kernel_sizes: Their kernel sizes.
        final_layer: Arguments of the final 1x1 conv.
        keypoint_loss: Heatmap loss config.
        tag_loss: Tag loss config.
        decoder: Codec config (``AssociativeEmbedding``).
        init_cfg: Weight initialisation config.
    """

    def __init__(
        self,
        in_channels: int | Sequence[int],
        num_keypoints: int,
        tag_dim: int = 1,
        tag_per_keypoint: bool = True,
        deconv_out_channels: Sequence[int] | None = (256, 256, 256),
        deconv_kernel_sizes: Sequence[int] | None = (4, 4, 4),
        conv_out_channels: Sequence[int] | None = None,
        conv_kernel_sizes: Sequence[int] | None = None,
        final_layer: dict | None = dict(kernel_size=1),  # noqa: B006 (read-only default)
        keypoint_loss: dict | nn.Module = dict(type="KeypointMSELoss"),  # noqa: B006
        tag_loss: dict | nn.Module = dict(type="AssociativeEmbeddingLoss"),  # noqa: B006
        decoder: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if init_cfg is None:
            init_cfg = [
                dict(type="Normal", layer=["Conv2d", "ConvTranspose2d"], std=0.001),
                dict(type="Constant", layer="BatchNorm2d", val=1),
            ]
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, int):
            raise TypeError(f"AssociativeEmbeddingHead takes one in_channels; got {in_channels!r}.")
        self.in_channels = in_channels
        self.num_keypoints = num_keypoints
        self.tag_dim = tag_dim
        self.tag_per_keypoint = tag_per_keypoint
        tag_channels = num_keypoints * tag_dim if tag_per_keypoint else tag_dim
        self.out_channels = num_keypoints + tag_channels
        build_heatmap_layers(
            self, in_channels, self.out_channels, deconv_out_channels, deconv_kernel_sizes,
            conv_out_channels, conv_kernel_sizes, final_layer,
        )  # fmt: skip
        self.keypoint_loss_module = build_module(keypoint_loss)
        self.tag_loss_module = build_module(tag_loss)
        self.decoder = build_decoder(decoder)

    def forward(self, feats: tuple[Tensor, ...]) -> tuple[Tensor, Tensor]:
        """Last map (B, C, h, w) -> heatmaps (B, K, H, W) and tags (B, L * K, H, W), or
        (B, L, H, W) when the maps are shared by all keypoints."""
        x = self.final_layer(self.conv_layers(self.deconv_layers(feats[-1])))
        return x[:, : self.num_keypoints], x[:, self.num_keypoints :]

    def _flip_tags(
        self, tags: Tensor, flip_indices: Sequence[int], shift_heatmap: bool = False
    ) -> Tensor:
        """Mirror tag maps (B, C, H, W) of a flipped image back: flip W and, with one map per
        keypoint, swap left and right keypoints (channel ``l * K + k``)."""
        tags = tags.flip(-1)
        if self.tag_per_keypoint:
            b, _, h, w = tags.shape
            tags = tags.reshape(b, self.tag_dim, self.num_keypoints, h, w)[:, :, list(flip_indices)]
            tags = tags.reshape(b, -1, h, w)
        if shift_heatmap:
            tags = torch.cat([tags[..., :1], tags[..., :-1]], dim=-1)
        return tags

    def _tag_fields(self, tags: Tensor) -> Tensor:
        """(B, L * K_t, H, W) -> (B, K_t, L, H, W); K_t = K, or 1 for shared maps."""
        b, _, h, w = tags.shape
        k_t = self.num_keypoints if self.tag_per_keypoint else 1
        return tags.reshape(b, -1, k_t, h, w).transpose(1, 2)

    def predict(self, feats: Any, batch_data_samples: list, test_cfg: dict | None = None) -> list:
        """Group keypoints into people: one ``InstanceData(keypoints (M, K, 2), keypoint_scores
        (M, K), bbox_scores (M,))`` per image, in the input space.

        ``test_cfg``: ``flip_test`` (heatmaps averaged, flipped tags appended as extra tag
        dimensions), ``shift_heatmap``, ``restore_heatmap_size`` (resize the maps to the input
        size before decoding), ``align_corners``.
        """
        test_cfg = test_cfg or {}
        if self.decoder is None:
            raise RuntimeError("AssociativeEmbeddingHead has no decoder: set decoder=<codec>.")
        shift = test_cfg.get("shift_heatmap", False)
        if test_cfg.get("flip_test", False):
            flip_indices = batch_data_samples[0].metainfo["flip_indices"]
            heatmaps, tags = self.forward(feats[0])
            heatmaps_f, tags_f = self.forward(feats[1])
            heatmaps_f = flip_heatmaps(heatmaps_f, flip_indices=flip_indices, shift_heatmap=shift)
            heatmaps = (heatmaps + heatmaps_f) * 0.5
            tags_f = self._flip_tags(tags_f, flip_indices, shift_heatmap=shift)
            tags = torch.cat([self._tag_fields(tags), self._tag_fields(tags_f)], dim=2)
        else:
            heatmaps, tags = self.forward(feats)
            tags = self._tag_fields(tags)
        b, k_t, dims = tags.shape[:3]
        if test_cfg.get("restore_heatmap_size", False):
            w_in, h_in = batch_data_samples[0].metainfo["input_size"]
            align = test_cfg.get("align_corners", False)
            heatmaps = F.interpolate(
                heatmaps, size=(h_in, w_in), mode="bilinear", align_corners=align
            )
            tags = F.interpolate(
                tags.flatten(1, 2), size=(h_in, w_in), mode="bilinear", align_corners=align
            ).reshape(b, k_t, dims, h_in, w_in)
        preds = []
        for maps, tag in zip(to_numpy(heatmaps), to_numpy(tags)):
            tag = np.broadcast_to(tag, (maps.shape[0], *tag.shape[1:]))  # (K, L', H, W)
            keypoints, scores, instance_scores = self.decoder.decode_instances(
                maps, tag.transpose(0, 2, 3, 1)
            )
            preds.append(
                InstanceData(
                    keypoints=keypoints, keypoint_scores=scores, bbox_scores=instance_scores
                )
            )
        return preds

    def loss(
        self, feats: tuple[Tensor, ...], batch_data_samples: list, train_cfg: dict | None = None
    ) -> dict:
        """``loss_kpt`` on the heatmaps (crowd regions masked by ``gt_fields.heatmap_mask``),
        ``loss_pull`` and ``loss_push`` on the tags."""
        heatmaps, tags = self.forward(feats)
        gt = torch.stack([d.gt_fields.heatmaps for d in batch_data_samples]).to(heatmaps)
        masks = None
        if "heatmap_mask" in batch_data_samples[0].gt_fields:
            masks = torch.stack([d.gt_fields.heatmap_mask for d in batch_data_samples]).to(heatmaps)
            masks = masks.unsqueeze(1) if masks.dim() == 3 else masks
        weights = heatmaps.new_ones(heatmaps.shape[:2])
        indices = [
            torch.as_tensor(np.asarray(d.gt_instance_labels.keypoint_indices)).reshape(
                -1, self.num_keypoints, 2
            )
            for d in batch_data_samples
        ]
        loss_kpt = self.keypoint_loss_module(heatmaps, gt, weights, masks)
        if not self.tag_per_keypoint:  # the L shared maps serve every keypoint: (B, L * K, H, W)
            tags = tags.repeat_interleave(self.num_keypoints, dim=1)
        pull, push = self.tag_loss_module(tags, indices)
        return dict(loss_kpt=loss_kpt, loss_pull=pull, loss_push=push)
