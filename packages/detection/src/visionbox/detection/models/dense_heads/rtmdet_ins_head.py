"""``RTMDetInsSepBNHead``: RTMDet's instance segmentation head (Lyu et al., 2022,
https://arxiv.org/abs/2212.07784) with mmdet 3.x's arguments, defaults and ``state_dict`` keys
(``kernel_convs``, ``rtm_kernel``, ``mask_head.fusion_conv``, ``mask_head.stacked_convs``,
``mask_head.projection``), and its ``MaskFeatModule``.

Shape shorthand: B images; L levels of (H_l, W_l) at ``strides[l]``; P points of all levels;
C classes; K = ``num_prototypes``; (H_m, W_m) the mask features' size (that of level 0); N
instances (positives in training, detections in inference); D = ``num_gen_params``, the
weights and biases of one instance's dynamic convs.

Every point predicts, besides its class and box, the D parameters of a small per-instance
network of 1x1 convs (``num_dyconvs`` layers, ReLU between). That network runs on the K shared
prototype maps plus 2 maps of coordinates relative to the point (in units of 8 strides) and
gives the instance's mask logits at (H_m, W_m); all instances run at once as one grouped conv.

As in mmdetection, the box tower of every level *is* its class tower (``reg_convs[l]`` and
``cls_convs[l]`` are the same modules), distances are ``relu(x) * stride``, and the kernel towers
are never shared across levels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from visionbox.core.models import ConvModule

from ...registry import MODELS
from ..builder import build_module
from ..layers import batched_nms
from .dense_predict import _level_candidates
from .rtmdet_head import (
    _CODER,
    _GIOU,
    _POINTS,
    _QFL,
    RTMDetSepBNHead,
    distance2bbox,
    rtmdet_targets,
    sigmoid_geometric_mean_logit,
)
from .yolox_head import _reduce_mean

__all__ = ["MaskFeatModule", "RTMDetInsSepBNHead"]

_DICE = dict(type="DiceLoss", loss_weight=2.0, eps=5e-6, reduction="mean")


class MaskFeatModule(BaseModule):
    """Prototype maps: all levels upsampled to level 0, concatenated, fused by a 1x1 conv,
    ``stacked_convs`` 3x3 convs, projected to ``num_prototypes`` channels.

    Shapes: L maps (B, in_channels, H_l, W_l) -> (B, K, H_0, W_0).
    """

    def __init__(
        self,
        in_channels: int,
        feat_channels: int = 256,
        stacked_convs: int = 4,
        num_levels: int = 3,
        num_prototypes: int = 8,
        act_cfg: dict = dict(type="ReLU", inplace=True),  # noqa: B006 (read-only default)
        norm_cfg: dict = dict(type="BN"),  # noqa: B006 (read-only default)
    ) -> None:
        super().__init__(init_cfg=None)
        self.num_levels = num_levels
        self.fusion_conv = nn.Conv2d(num_levels * in_channels, in_channels, 1)
        self.stacked_convs = nn.Sequential(
            *(
                ConvModule(
                    in_channels if i == 0 else feat_channels,
                    feat_channels,
                    3,
                    padding=1,
                    act_cfg=act_cfg,
                    norm_cfg=norm_cfg,
                )
                for i in range(stacked_convs)
            )
        )
        self.projection = nn.Conv2d(feat_channels, num_prototypes, kernel_size=1)

    def forward(self, features: Sequence[Tensor]) -> Tensor:
        size = features[0].shape[-2:]
        fused = [features[0]] + [
            F.interpolate(features[i], size=size, mode="bilinear")
            for i in range(1, self.num_levels)
        ]
        return self.projection(self.stacked_convs(self.fusion_conv(torch.cat(fused, dim=1))))


@MODELS.register_module()
class RTMDetInsSepBNHead(RTMDetSepBNHead):
    """RTMDet-Ins head: RTMDet's box head plus per-point dynamic mask kernels.

    Args:
        num_classes: C.
        in_channels: Channels of every input level.
        share_conv: Share the class / box tower convs (not the norms) between levels.
        with_objectness: Objectness branch (off in RTMDet-Ins).
        norm_cfg: Norm config of the towers and the mask module.
        act_cfg: Activation config.
        pred_kernel_size: Kernel size of the predictors.
        num_prototypes: K, prototype maps of the mask module.
        dyconv_channels: Channels of the dynamic convs.
        num_dyconvs: Layers of the dynamic network.
        mask_loss_stride: Stride of the mask loss (logits upsampled, targets subsampled to it).
        loss_mask: Mask loss (``DiceLoss``) over the positives.
        feat_channels: Channels of the towers.
        stacked_convs: Convs per tower.
        conv_cfg: Conv config.
        anchor_generator: Point generator (``MlvlPointGenerator`` with ``offset=0``).
        bbox_coder: Box coder (``DistancePointBBoxCoder``).
        loss_cls: Classification loss (``QualityFocalLoss``).
        loss_bbox: Box loss (``GIoULoss``).
        train_cfg: ``assigner`` (``DynamicSoftLabelAssigner``), ``pos_weight``.
        test_cfg: ``nms_pre``, ``score_thr``, ``nms``, ``max_per_img``, ``min_bbox_size``,
            ``mask_thr_binary``.
        init_cfg: See :class:`RTMDetHead`.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        share_conv: bool = True,
        with_objectness: bool = False,
        norm_cfg: dict = dict(type="BN", requires_grad=True),  # noqa: B006 (read-only default)
        act_cfg: dict = dict(type="SiLU", inplace=True),  # noqa: B006 (read-only default)
        pred_kernel_size: int = 1,
        num_prototypes: int = 8,
        dyconv_channels: int = 8,
        num_dyconvs: int = 3,
        mask_loss_stride: int = 4,
        loss_mask: dict | nn.Module = _DICE,
        feat_channels: int = 256,
        stacked_convs: int = 4,
        conv_cfg: dict | None = None,
        anchor_generator: dict = _POINTS,
        bbox_coder: dict = _CODER,
        loss_cls: dict | nn.Module = _QFL,
        loss_bbox: dict | nn.Module = _GIOU,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if num_dyconvs < 2:
            raise ValueError(f"RTMDetInsSepBNHead: num_dyconvs must be >= 2, got {num_dyconvs}")
        self.num_prototypes = num_prototypes
        self.num_dyconvs = num_dyconvs
        self.dyconv_channels = dyconv_channels
        self.mask_loss_stride = mask_loss_stride
        super().__init__(
            num_classes,
            in_channels,
            share_conv=share_conv,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
            pred_kernel_size=pred_kernel_size,
            with_objectness=with_objectness,
            feat_channels=feat_channels,
            stacked_convs=stacked_convs,
            conv_cfg=conv_cfg,
            anchor_generator=anchor_generator,
            bbox_coder=bbox_coder,
            loss_cls=loss_cls,
            loss_bbox=loss_bbox,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            init_cfg=init_cfg,
        )
        self.loss_mask = build_module(loss_mask)

    def _init_layers(self) -> None:
        k, c = self.num_prototypes, self.dyconv_channels
        last = self.num_dyconvs - 1
        self.weight_nums = [(k + 2) * c] + [c * c] * (last - 1) + [c]
        self.bias_nums = [c] * last + [1]
        self.num_gen_params = sum(self.weight_nums) + sum(self.bias_nums)
        super()._init_layers()
        levels = range(len(self.strides))
        self.reg_convs = self.cls_convs  # mmdetection's layout: one tower for classes and boxes
        self.kernel_convs = nn.ModuleList(
            nn.ModuleList(self._tower_conv(i) for i in range(self.stacked_convs)) for _ in levels
        )
        self.rtm_kernel = nn.ModuleList(self._predictor(self.num_gen_params) for _ in levels)
        if not self.with_objectness:
            self.rtm_obj = nn.ModuleList()
        self.mask_head = MaskFeatModule(
            in_channels=self.in_channels,
            feat_channels=self.feat_channels,
            stacked_convs=4,
            num_levels=len(self.strides),
            num_prototypes=self.num_prototypes,
            act_cfg=self.act_cfg,
            norm_cfg=self.norm_cfg,
        )

    def init_weights(self) -> None:
        """As :class:`RTMDetHead`, with the box biases at 1 (positive initial distances)."""
        super().init_weights()
        for conv in self.rtm_reg:
            nn.init.constant_(conv.bias, 1)

    # Forward ---------------------------------------------------------------------------------

    def forward(self, feats: tuple[Tensor, ...]) -> tuple:
        """L maps (B, in_channels, H_l, W_l) -> (L class logits (B, C, H_l, W_l), L distance
        maps (B, 4, H_l, W_l), L kernel maps (B, D, H_l, W_l), prototypes (B, K, H_0, W_0))."""
        self._check_levels(feats)
        mask_feat = self.mask_head(feats)
        cls_scores, bbox_preds, kernel_preds = [], [], []
        for level, (x, stride) in enumerate(zip(feats, self.strides)):
            cls_feat, reg_feat = self._tower_feats(x, level)
            kernel_feat = x
            for layer in self.kernel_convs[level]:
                kernel_feat = layer(kernel_feat)
            cls_score = self.rtm_cls[level](cls_feat)
            if self.with_objectness:
                cls_score = sigmoid_geometric_mean_logit(cls_score, self.rtm_obj[level](reg_feat))
            cls_scores.append(cls_score)
            bbox_preds.append(F.relu(self.rtm_reg[level](reg_feat)) * stride)
            kernel_preds.append(self.rtm_kernel[level](kernel_feat))
        return tuple(cls_scores), tuple(bbox_preds), tuple(kernel_preds), mask_feat

    def mask_logits(self, mask_feat: Tensor, kernels: Tensor, priors: Tensor) -> Tensor:
        """Run N instances' dynamic networks on one image's prototypes.

        Args:
            mask_feat: (K, H_m, W_m).
            kernels: (N, D).
            priors: (N, 4) ``[x, y, stride_w, stride_h]`` of the instances' points.

        Returns:
            (N, H_m, W_m) mask logits.
        """
        num_inst = priors.size(0)
        h, w = mask_feat.shape[-2:]
        if num_inst == 0:
            return mask_feat.new_zeros((0, h, w))
        coord = self.prior_generator.single_level_grid_priors(
            (h, w), 0, dtype=mask_feat.dtype, device=mask_feat.device
        )  # (H_m * W_m, 2)
        rel = (priors[:, None, :2] - coord[None]).permute(0, 2, 1)  # (N, 2, H_m * W_m)
        rel = rel / (priors[:, 2, None, None] * 8)
        x = torch.cat([rel.reshape(num_inst, 2, h, w), mask_feat.expand(num_inst, -1, -1, -1)], 1)
        x = x.reshape(1, -1, h, w)
        params = torch.split(kernels, self.weight_nums + self.bias_nums, dim=1)
        weights, biases = params[: self.num_dyconvs], params[self.num_dyconvs :]
        for i, (weight, bias) in enumerate(zip(weights, biases)):
            out = self.dyconv_channels if i < self.num_dyconvs - 1 else 1
            x = F.conv2d(
                x,
                weight.reshape(num_inst * out, -1, 1, 1),
                bias.reshape(num_inst * out),
                groups=num_inst,
            )
            if i < self.num_dyconvs - 1:
                x = F.relu(x)
        return x.reshape(num_inst, h, w)

    # Loss ------------------------------------------------------------------------------------

    def loss_by_feat(
        self,
        cls_scores: Sequence[Tensor],
        bbox_preds: Sequence[Tensor],
        kernel_preds: Sequence[Tensor],
        mask_feat: Tensor,
        batch_gt_instances: Sequence[InstanceData],
        batch_img_metas: Sequence[dict],
        batch_gt_instances_ignore: Sequence | None = None,
    ) -> dict[str, Tensor]:
        """RTMDet's ``loss_cls`` and ``loss_bbox`` plus ``loss_mask``: the dice loss of the
        positives' masks at ``mask_loss_stride``, averaged over the positives."""
        if not hasattr(self, "assigner"):
            raise RuntimeError("RTMDetInsSepBNHead.loss needs train_cfg=dict(assigner=...)")
        num_imgs = cls_scores[0].size(0)
        priors, valid, cls, _, bboxes = self._flat_priors_and_outputs(
            cls_scores, bbox_preds, batch_img_metas
        )
        kernels = torch.cat(
            [
                k.permute(0, 2, 3, 1).reshape(num_imgs, -1, self.num_gen_params)
                for k in kernel_preds
            ],
            1,
        )
        gts = []
        for gt in batch_gt_instances:
            gt = gt.clone()
            if not torch.is_tensor(gt.masks):
                gt.masks = gt.masks.to_tensor(torch.bool, cls.device)
            gts.append(gt)
        targets = rtmdet_targets(
            self.assigner,
            priors,
            valid,
            cls.detach(),
            bboxes.detach(),
            gts,
            self.num_classes,
            (self.train_cfg or {}).get("pos_weight", -1),
        )
        losses = self._losses(cls, bboxes, targets)
        losses["loss_mask"] = self._mask_loss(mask_feat, kernels, priors, targets.gt_inds, gts)
        return losses

    def _mask_loss(
        self,
        mask_feat: Tensor,
        kernels: Tensor,
        priors: Tensor,
        gt_inds: Tensor,
        gts: Sequence[InstanceData],
    ) -> Tensor:
        """Dice loss of the positives; ``gt_inds`` (B, P) is -1 off the positives."""
        logits, targets = [], []
        for i, gt in enumerate(gts):
            pos = torch.nonzero(gt_inds[i] >= 0).flatten()
            logits.append(self.mask_logits(mask_feat[i], kernels[i][pos], priors[pos]))
            targets.append(gt.masks[gt_inds[i][pos]])
        logits, masks = torch.cat(logits), torch.cat(targets)
        num_pos = _reduce_mean(mask_feat.new_tensor([float(len(logits))])).clamp_(min=1).item()
        if len(logits) == 0:
            return mask_feat.sum() * 0
        scale = self.strides[0] // self.mask_loss_stride
        logits = F.interpolate(
            logits[None], scale_factor=scale, mode="bilinear", align_corners=False
        )[0]
        half = self.mask_loss_stride // 2
        masks = masks[:, half :: self.mask_loss_stride, half :: self.mask_loss_stride]
        return self.loss_mask(logits, masks, weight=None, avg_factor=num_pos)

    # Predict ---------------------------------------------------------------------------------

    @torch.no_grad()
    def predict_by_feat(
        self,
        cls_scores: Sequence[Tensor],
        bbox_preds: Sequence[Tensor],
        kernel_preds: Sequence[Tensor],
        mask_feat: Tensor,
        batch_img_metas: Sequence[dict],
        cfg: dict | None = None,
        rescale: bool = False,
        with_nms: bool = True,
    ) -> list[InstanceData]:
        """Boxes as :class:`RTMDetHead` (per-level top ``nms_pre`` over ``score_thr``, decode,
        clip, rescale, size filter, class-wise NMS, ``max_per_img``), then the masks of the kept
        detections, upsampled to the input (and to the original image when ``rescale``) and
        thresholded at ``mask_thr_binary``."""
        cfg = ConfigDict(cfg if cfg is not None else self.test_cfg or {})
        if not with_nms or "nms" not in cfg:
            raise KeyError("RTMDetInsSepBNHead.predict needs with_nms and test_cfg.nms")
        num_imgs = cls_scores[0].size(0)
        sizes = [tuple(s.shape[-2:]) for s in cls_scores]
        priors = self.prior_generator.grid_priors(
            sizes, dtype=cls_scores[0].dtype, device=cls_scores[0].device, with_stride=True
        )
        parts: dict[str, list[Tensor]] = dict(img=[], label=[], score=[], prior=[], dist=[], ker=[])
        for level in range(len(sizes)):
            logits = cls_scores[level].permute(0, 2, 3, 1).reshape(num_imgs, -1, self.num_classes)
            imgs, inds, labels, scores = _level_candidates(
                logits, cfg.get("nms_pre", -1), cfg.get("score_thr", 0.0), True
            )
            dist = bbox_preds[level].permute(0, 2, 3, 1).reshape(num_imgs, -1, 4)
            ker = kernel_preds[level].permute(0, 2, 3, 1).reshape(num_imgs, -1, self.num_gen_params)
            for key, value in zip(
                parts,
                (imgs, labels, scores, priors[level][inds], dist[imgs, inds], ker[imgs, inds]),
            ):
                parts[key].append(value)
        imgs, labels, scores, pts, dist, ker = (torch.cat(v) for v in parts.values())
        boxes = distance2bbox(pts[:, :2], dist)
        bounds = boxes.new_tensor([[m["img_shape"][1], m["img_shape"][0]] for m in batch_img_metas])
        boxes = torch.min(boxes.clamp(min=0), bounds.repeat(1, 2)[imgs])
        if rescale:
            factors = boxes.new_tensor([m["scale_factor"] for m in batch_img_metas])
            boxes = boxes / factors.repeat(1, 2)[imgs]
        if cfg.get("min_bbox_size", -1) >= 0:
            wh = boxes[:, 2:] - boxes[:, :2]
            keep = (wh > cfg.min_bbox_size).all(-1)
            imgs, labels, scores, pts, ker, boxes = (
                t[keep] for t in (imgs, labels, scores, pts, ker, boxes)
            )
        _, keep = batched_nms(boxes, scores, imgs * self.num_classes + labels, cfg.nms)
        results = []
        for i, meta in enumerate(batch_img_metas):
            mine = keep[imgs[keep] == i][: cfg.get("max_per_img", 100)]
            result = InstanceData(bboxes=boxes[mine], scores=scores[mine], labels=labels[mine])
            result.masks = self._predict_masks(
                mask_feat[i], ker[mine], pts[mine], meta, cfg, rescale
            )
            results.append(result)
        return results

    def _predict_masks(
        self,
        mask_feat: Tensor,
        kernels: Tensor,
        priors: Tensor,
        meta: dict,
        cfg: ConfigDict,
        rescale: bool,
    ) -> Tensor:
        """(N, H, W) bool masks of one image's detections (the input's size, or the original
        image's when ``rescale``)."""
        if len(priors) == 0:
            h, w = meta["ori_shape"][:2] if rescale else meta["img_shape"][:2]
            return mask_feat.new_zeros((0, h, w), dtype=torch.bool)
        logits = self.mask_logits(mask_feat, kernels, priors)[None]
        logits = F.interpolate(logits, scale_factor=self.strides[0], mode="bilinear")
        if rescale:
            # mmdetection scales the height by the inverse width factor (equal when the
            # resize keeps the ratio) before cropping to the original image
            sw, sh = (1 / s for s in meta["scale_factor"])
            size = [math.ceil(logits.shape[-2] * sw), math.ceil(logits.shape[-1] * sh)]
            ori_h, ori_w = meta["ori_shape"][:2]
            logits = F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
            logits = logits[..., :ori_h, :ori_w]
        return logits.sigmoid()[0] > cfg.get("mask_thr_binary", 0.5)
