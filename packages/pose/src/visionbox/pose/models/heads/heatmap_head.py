"""``HeatmapHead``: deconvolutions, optional convs and a final conv to K heatmaps (Xiao et al.,
"Simple Baselines for Human Pose Estimation and Tracking", ECCV 2018).

Shape shorthand: B samples, C channels, K keypoints, h x w features, H x W heatmaps.
``state_dict`` keys as mmpose's: ``deconv_layers.{3i,3i+1}``, ``conv_layers.{3i,3i+1}``,
``final_layer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from mmengine.structures import PixelData
from torch import Tensor, nn

from visionbox.core.models.base import BaseHead
from visionbox.core.models.layers import build_conv_layer, build_upsample_layer

from ...evaluation.functional import pose_pck_accuracy
from ...registry import MODELS
from ..builder import build_module
from .utils import build_decoder, decode_batch, flip_heatmaps, gather_labels, to_numpy

__all__ = ["HeatmapHead", "build_heatmap_layers", "make_conv_layers", "make_deconv_layers"]

_DECONV_PADDING = {4: (1, 0), 3: (1, 1), 2: (0, 0)}


def make_deconv_layers(
    in_channels: int, layer_out_channels: Sequence[int], layer_kernel_sizes: Sequence[int]
) -> nn.Sequential:
    """Stride-2 transposed convs (kernel 2, 3 or 4), each followed by BN and ReLU."""
    layers: list[nn.Module] = []
    for out_channels, kernel_size in zip(layer_out_channels, layer_kernel_sizes):
        if kernel_size not in _DECONV_PADDING:
            raise ValueError(
                f"Deconv kernel sizes must be 2, 3 or 4; got {kernel_size} in {layer_kernel_sizes}."
            )
        padding, output_padding = _DECONV_PADDING[kernel_size]
        cfg = dict(
            type="deconv",
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel_size,
            stride=2,
            padding=padding,
            output_padding=output_padding,
            bias=False,
        )
        layers += [build_upsample_layer(cfg), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)]
        in_channels = out_channels
    return nn.Sequential(*layers)


def make_conv_layers(
    in_channels: int, layer_out_channels: Sequence[int], layer_kernel_sizes: Sequence[int]
) -> nn.Sequential:
    """'Same'-padded convs, each followed by BN and ReLU."""
    layers: list[nn.Module] = []
    for out_channels, kernel_size in zip(layer_out_channels, layer_kernel_sizes):
        cfg = dict(
            type="Conv2d",
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel_size,
            stride=1,
            padding=(kernel_size - 1) // 2,
        )
        layers += [build_conv_layer(cfg), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)]
        in_channels = out_channels
    return nn.Sequential(*layers)


def _check_pairs(name: str, channels: Sequence[int] | None, kernels: Sequence[int] | None) -> None:
    if channels and (kernels is None or len(channels) != len(kernels)):
        raise ValueError(
            f"{name}_out_channels {tuple(channels)} and {name}_kernel_sizes "
            f"{None if kernels is None else tuple(kernels)} must have the same length."
        )


def build_heatmap_layers(
    module: nn.Module,
    in_channels: int,
    out_channels: int,
    deconv_out_channels: Sequence[int] | None,
    deconv_kernel_sizes: Sequence[int] | None,
    conv_out_channels: Sequence[int] | None,
    conv_kernel_sizes: Sequence[int] | None,
    final_layer: dict | None,
) -> None:
    """Set ``deconv_layers``, ``conv_layers`` and ``final_layer`` on ``module`` (identities where
    a part is absent), as mmpose's heatmap heads name them."""
    _check_pairs("deconv", deconv_out_channels, deconv_kernel_sizes)
    _check_pairs("conv", conv_out_channels, conv_kernel_sizes)
    channels = in_channels
    module.deconv_layers = nn.Identity()
    if deconv_out_channels:
        module.deconv_layers = make_deconv_layers(
            channels, deconv_out_channels, deconv_kernel_sizes or ()
        )
        channels = deconv_out_channels[-1]
    module.conv_layers = nn.Identity()
    if conv_out_channels:
        module.conv_layers = make_conv_layers(channels, conv_out_channels, conv_kernel_sizes or ())
        channels = conv_out_channels[-1]
    module.final_layer = nn.Identity()
    if final_layer is not None:
        cfg = dict(type="Conv2d", in_channels=channels, out_channels=out_channels, kernel_size=1)
        cfg.update(final_layer)
        module.final_layer = build_conv_layer(cfg)


@MODELS.register_module()
class HeatmapHead(BaseHead):
    """Top-down heatmap head.

    Args:
        in_channels: Channels of the last backbone/neck map.
        out_channels: K, the number of heatmaps.
        deconv_out_channels: Channels of the deconv layers (None or empty: no deconv).
        deconv_kernel_sizes: Kernel sizes of the deconv layers.
        conv_out_channels: Channels of the conv layers after the deconvs.
        conv_kernel_sizes: Their kernel sizes.
        final_layer: Arguments of the final 1x1 conv (None: no final layer).
        loss: Keypoint loss config.
        decoder: Codec config used by :meth:`predict`.
        init_cfg: Weight initialisation config.
    """

    def __init__(
        self,
        in_channels: int | Sequence[int],
        out_channels: int,
        deconv_out_channels: Sequence[int] | None = (256, 256, 256),
        deconv_kernel_sizes: Sequence[int] | None = (4, 4, 4),
        conv_out_channels: Sequence[int] | None = None,
        conv_kernel_sizes: Sequence[int] | None = None,
        final_layer: dict | None = dict(kernel_size=1),  # noqa: B006 (read-only default)
        loss: dict | nn.Module = dict(type="KeypointMSELoss", use_target_weight=True),  # noqa: B006
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
            raise TypeError(f"HeatmapHead takes one in_channels value; got {in_channels!r}.")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.loss_module = build_module(loss)
        self.decoder = build_decoder(decoder)
        build_heatmap_layers(
            self, in_channels, out_channels, deconv_out_channels, deconv_kernel_sizes,
            conv_out_channels, conv_kernel_sizes, final_layer,
        )  # fmt: skip

    def forward(self, feats: tuple[Tensor, ...]) -> Tensor:
        """Last map (B, C, h, w) -> heatmaps (B, K, H, W)."""
        x = feats[-1]
        x = self.deconv_layers(x)
        x = self.conv_layers(x)
        return self.final_layer(x)

    def predict(
        self,
        feats: tuple[Tensor, ...] | list[tuple[Tensor, ...]],
        batch_data_samples: list,
        test_cfg: dict | None = None,
    ) -> Any:
        """Decode heatmaps (averaged with the flipped image's when ``test_cfg.flip_test``).

        Returns:
            A list of ``InstanceData(keypoints (1, K, 2), keypoint_scores (1, K))`` in the input
            space; with ``test_cfg.output_heatmaps`` also a list of ``PixelData(heatmaps)``.
        """
        test_cfg = test_cfg or {}
        if test_cfg.get("flip_test", False):
            if not (isinstance(feats, list) and len(feats) == 2):
                raise ValueError("flip_test expects feats = [feats, flipped feats].")
            flip_indices = batch_data_samples[0].metainfo["flip_indices"]
            heatmaps = self.forward(feats[0])
            flipped = flip_heatmaps(
                self.forward(feats[1]),
                flip_mode=test_cfg.get("flip_mode", "heatmap"),
                flip_indices=flip_indices,
                shift_heatmap=test_cfg.get("shift_heatmap", False),
            )
            heatmaps = (heatmaps + flipped) * 0.5
        else:
            heatmaps = self.forward(feats)
        preds = decode_batch(self.decoder, heatmaps)
        if test_cfg.get("output_heatmaps", False):
            fields = [PixelData(heatmaps=h) for h in heatmaps.detach()]
            return preds, fields
        return preds

    def loss(
        self, feats: tuple[Tensor, ...], batch_data_samples: list, train_cfg: dict | None = None
    ) -> dict:
        """``loss_kpt`` against ``gt_fields.heatmaps`` and, unless ``train_cfg.compute_acc`` is
        False, ``acc_pose`` (PCK@0.05 of the heatmap maxima)."""
        train_cfg = train_cfg or {}
        pred = self.forward(feats)
        target = torch.stack([d.gt_fields.heatmaps for d in batch_data_samples]).to(pred)
        weights = gather_labels(batch_data_samples, "keypoint_weights", pred.device)
        losses = dict(loss_kpt=self.loss_module(pred, target, weights))
        if train_cfg.get("compute_acc", True):
            _, acc, _ = pose_pck_accuracy(to_numpy(pred), to_numpy(target), to_numpy(weights) > 0)
            losses["acc_pose"] = torch.tensor(acc, device=pred.device)
        return losses
