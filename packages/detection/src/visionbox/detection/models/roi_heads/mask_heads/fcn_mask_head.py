"""``FCNMaskHead``: the mask branch of Mask R-CNN (He et al., 2017, https://arxiv.org/abs/1703.06870),
with mmdet 3.x's arguments and keys (``convs``, ``upsample``, ``conv_logits``).

Shape shorthand: R RoIs; C classes; S the RoI feature size (14) and M = 2 * S the mask size (28).

* Targets: each positive RoI's ground-truth mask resampled into the RoI at M x M by one
  ``torchvision.ops.roi_align`` call per image (as mmdet's ``BitmapMasks.crop_and_resize``),
  then thresholded at 0.5.
* Pasting (:mod:`.paste`): the predicted M x M masks are resampled into their boxes by
  ``grid_sample`` in chunks of similar window size and written into (D, H, W) bool image masks
  by advanced indexing; no loop over masks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn
from torchvision.ops import roi_align

from visionbox.core.models import ConvModule

from ....registry import MODELS
from ...builder import build_module
from .paste import paste_masks

__all__ = ["FCNMaskHead", "mask_target", "paste_masks"]

_UPSAMPLE = ("deconv", "nearest", "bilinear", None)


def _masks_tensor(masks, device) -> Tensor:
    """(G, H, W) float tensor of ``BitmapMasks``/``PolygonMasks``/tensors/arrays."""
    if isinstance(masks, Tensor):
        return masks.to(device=device, dtype=torch.float32)
    if hasattr(masks, "to_tensor"):
        return masks.to_tensor(dtype=torch.float32, device=device)
    return torch.as_tensor(np.asarray(masks), dtype=torch.float32, device=device)


def mask_target(
    pos_proposals: Sequence[Tensor],
    pos_assigned_gt_inds: Sequence[Tensor],
    gt_masks: Sequence,
    mask_size: int | tuple[int, int],
) -> Tensor:
    """Binary M x M targets of the positive RoIs of every image, concatenated: (R, M, M)."""
    size = (mask_size, mask_size) if isinstance(mask_size, int) else tuple(mask_size)
    targets = []
    for proposals, inds, masks in zip(pos_proposals, pos_assigned_gt_inds, gt_masks):
        if proposals.numel() == 0:
            targets.append(proposals.new_zeros((0, *size)))
            continue
        masks_t = _masks_tensor(masks, proposals.device)[:, None]  # (G, 1, H, W)
        rois = torch.cat([inds[:, None].to(proposals.dtype), proposals[:, :4]], dim=1)
        sampled = roi_align(masks_t, rois.float(), size, 1.0, 0, True)[:, 0]
        targets.append((sampled >= 0.5).float())
    if not targets:
        return torch.zeros((0, *size))
    return torch.cat(targets)


@MODELS.register_module()
class FCNMaskHead(BaseModule):
    """A small FCN on RoI features that predicts one M x M mask per class.

    Args:
        num_convs: 3x3 convs before upsampling.
        roi_feat_size: S.
        in_channels: Channels of the RoI features.
        conv_kernel_size: Kernel of the convs.
        conv_out_channels: Channels of the convs.
        num_classes: C.
        class_agnostic: One mask per RoI instead of one per class.
        upsample_cfg: ``dict(type='deconv' | 'nearest' | 'bilinear' | None, scale_factor=2)``.
        conv_cfg / norm_cfg: Of the convs.
        predictor_cfg: ``dict(type='Conv')``.
        loss_mask: Mask loss (``CrossEntropyLoss(use_mask=True)``).
        init_cfg: Weight initialisation.
    """

    def __init__(
        self,
        num_convs: int = 4,
        roi_feat_size: int = 14,
        in_channels: int = 256,
        conv_kernel_size: int = 3,
        conv_out_channels: int = 256,
        num_classes: int = 80,
        class_agnostic: bool = False,
        upsample_cfg: dict | None = None,
        conv_cfg: dict | None = None,
        norm_cfg: dict | None = None,
        predictor_cfg: dict | None = None,
        loss_mask: dict | nn.Module | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        upsample_cfg = dict(upsample_cfg or dict(type="deconv", scale_factor=2))
        method = upsample_cfg.get("type")
        if method not in _UPSAMPLE:
            raise ValueError(f"upsample_cfg type {method!r} is not one of {_UPSAMPLE}")
        predictor_cfg = predictor_cfg or dict(type="Conv")
        if predictor_cfg.get("type") not in ("Conv", "Conv2d"):
            raise ValueError("FCNMaskHead supports predictor_cfg=dict(type='Conv') only")
        self.num_convs = num_convs
        self.roi_feat_size = (
            (roi_feat_size, roi_feat_size)
            if isinstance(roi_feat_size, int)
            else tuple(roi_feat_size)
        )
        self.in_channels = in_channels
        self.conv_kernel_size = conv_kernel_size
        self.conv_out_channels = conv_out_channels
        self.num_classes = num_classes
        self.class_agnostic = class_agnostic
        self.upsample_cfg = upsample_cfg
        self.upsample_method = method
        self.scale_factor = upsample_cfg.get("scale_factor", 2)
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.predictor_cfg = predictor_cfg
        self.loss_mask = build_module(
            loss_mask or dict(type="CrossEntropyLoss", use_mask=True, loss_weight=1.0)
        )
        padding = (conv_kernel_size - 1) // 2
        self.convs = nn.ModuleList(
            [
                ConvModule(
                    in_channels if i == 0 else conv_out_channels,
                    conv_out_channels,
                    conv_kernel_size,
                    padding=padding,
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                )
                for i in range(num_convs)
            ]
        )
        up_in = conv_out_channels if num_convs > 0 else in_channels
        if method is None:
            self.upsample = None
        elif method == "deconv":
            self.upsample = nn.ConvTranspose2d(
                up_in, conv_out_channels, self.scale_factor, stride=self.scale_factor
            )
        else:
            self.upsample = nn.Upsample(scale_factor=self.scale_factor, mode=method)
        logits_in = conv_out_channels if method == "deconv" else up_in
        out_channels = 1 if class_agnostic else num_classes
        self.conv_logits = nn.Conv2d(logits_in, out_channels, 1)
        self.relu = nn.ReLU(inplace=True)

    def init_weights(self) -> None:
        super().init_weights()
        for module in (self.upsample, self.conv_logits):
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                nn.init.constant_(module.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        """(R, C_in, S, S) -> (R, C or 1, M, M) mask logits."""
        for conv in self.convs:
            x = conv(x)
        if self.upsample is not None:
            x = self.upsample(x)
            if self.upsample_method == "deconv":
                x = self.relu(x)
        return self.conv_logits(x)

    def get_targets(
        self, sampling_results: Sequence, batch_gt_instances: Sequence, rcnn_train_cfg: dict
    ) -> Tensor:
        """(R, M, M) targets of the positive RoIs of every image."""
        if "mask_size" not in rcnn_train_cfg:
            raise KeyError("the rcnn train_cfg of a mask head needs mask_size (28 in Mask R-CNN)")
        return mask_target(
            [r.pos_priors for r in sampling_results],
            [r.pos_assigned_gt_inds for r in sampling_results],
            [gt.masks for gt in batch_gt_instances],
            rcnn_train_cfg["mask_size"],
        )

    def loss_and_target(
        self,
        mask_preds: Tensor,
        sampling_results: Sequence,
        batch_gt_instances: Sequence,
        rcnn_train_cfg: dict,
    ) -> dict:
        """``dict(loss_mask=dict(loss_mask=...), mask_targets=...)``."""
        targets = self.get_targets(sampling_results, batch_gt_instances, rcnn_train_cfg)
        labels = torch.cat([r.pos_gt_labels for r in sampling_results]).long()
        if mask_preds.size(0) == 0:
            loss = mask_preds.sum()
        elif self.class_agnostic:
            loss = self.loss_mask(mask_preds, targets, torch.zeros_like(labels))
        else:
            loss = self.loss_mask(mask_preds, targets, labels)
        return dict(loss_mask=dict(loss_mask=loss), mask_targets=targets)

    def predict_by_feat(
        self,
        mask_preds: Sequence[Tensor],
        results_list: list[InstanceData],
        batch_img_metas: list[dict],
        rcnn_test_cfg: dict,
        rescale: bool = False,
    ) -> list[InstanceData]:
        """Add ``masks`` (D, H, W) bool to every image's detections.

        The boxes are in the network input's scale; with ``rescale`` they and the masks are
        mapped to ``ori_shape`` (the boxes of ``results_list`` are divided by ``scale_factor``).
        """
        thr = rcnn_test_cfg.get("mask_thr_binary", 0.5)
        for preds, results, meta in zip(mask_preds, results_list, batch_img_metas):
            bboxes, labels = results.bboxes, results.labels
            if rescale:
                sf = meta.get("scale_factor", (1.0, 1.0))
                bboxes = bboxes / bboxes.new_tensor([sf[0], sf[1], sf[0], sf[1]])
                img_h, img_w = meta["ori_shape"][:2]
            else:
                img_h, img_w = meta["img_shape"][:2]
            results.bboxes = bboxes
            if len(bboxes) == 0:
                results.masks = torch.zeros(
                    (0, img_h, img_w), dtype=torch.bool, device=bboxes.device
                )
                continue
            probs = preds.sigmoid()
            if not self.class_agnostic:
                probs = probs[torch.arange(len(labels), device=probs.device), labels]
            else:
                probs = probs[:, 0]
            # bool masks pasted directly; probabilities when mask_thr_binary < 0
            results.masks = paste_masks(
                probs, bboxes, int(img_h), int(img_w), threshold=thr if thr >= 0 else None
            )
        return results_list
