"""``RTMDetHead`` and ``RTMDetSepBNHead``: the dense heads of RTMDet (Lyu et al., 2022,
https://arxiv.org/abs/2212.07784) with mmdet 3.x's arguments, defaults and ``state_dict`` keys
(``cls_convs``, ``reg_convs``, ``rtm_cls``, ``rtm_reg``, ``rtm_obj``, ``scales``).

Shape shorthand: B images; L levels of (H_l, W_l) at ``strides[l]``; P = sum of H_l * W_l points
(offset 0: the top-left corner of each cell); C classes; G ground-truth boxes of an image.

Box outputs are distances ``(left, top, right, bottom)`` from the point, in pixels. Training
assigns points with ``DynamicSoftLabelAssigner``; the class loss (QFL) uses the IoU of a
positive's box as its soft label, the box loss (GIoU) is weighted by the same IoU, and both are
divided by the sum of those IoUs over the batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor, nn

from visionbox.core.models import BaseHead, ConvModule, DepthwiseSeparableConvModule
from visionbox.core.models.layers import is_norm

from ...registry import MODELS, TASK_UTILS
from ...structures import SampleList
from ..builder import build_module
from .anchor_free_head import Scale
from .dense_predict import dense_predict
from .rpn_head import unpack_gt_instances
from .yolox_head import _reduce_mean

__all__ = ["RTMDetHead", "RTMDetSepBNHead", "RTMDetTargets", "distance2bbox", "rtmdet_targets"]

_GN = dict(type="GN", num_groups=32, requires_grad=True)
_BN = dict(type="BN", momentum=0.03, eps=0.001)
_POINTS = dict(type="MlvlPointGenerator", offset=0, strides=[8, 16, 32])
_CODER = dict(type="DistancePointBBoxCoder")
_QFL = dict(type="QualityFocalLoss", use_sigmoid=True, beta=2.0, loss_weight=1.0)
_GIOU = dict(type="GIoULoss", loss_weight=2.0)
_PRIOR_BIAS = -math.log((1 - 0.01) / 0.01)


def distance2bbox(points: Tensor, distances: Tensor) -> Tensor:
    """(..., 2) points and (..., 4) ``(left, top, right, bottom)`` -> (..., 4) x1y1x2y2."""
    return torch.cat([points - distances[..., :2], points + distances[..., 2:]], -1)


def sigmoid_geometric_mean_logit(x: Tensor, y: Tensor, eps: float = 1e-5) -> Tensor:
    """The logit of ``sqrt(sigmoid(x) * sigmoid(y))`` (RTMDet's class score with objectness),
    with mmdet's clamping of the probability to [eps, 1 - eps]."""
    prob = (x.sigmoid() * y.sigmoid()).sqrt().clamp(0, 1)
    return torch.log(prob.clamp(min=eps) / (1 - prob).clamp(min=eps))


@dataclass
class RTMDetTargets:
    """Training targets of a batch, for the P points of every image.

    Attributes:
        labels: (B, P) class of each point, C for background.
        label_weights: (B, P) 1 for points in the image's own (unpadded) area, else 0 (or
            ``pos_weight`` for positives).
        bbox_targets: (B, P, 4) the matched box of positives (zeros elsewhere).
        assign_metrics: (B, P) IoU of a positive's predicted box with its box (0 elsewhere).
        gt_inds: (B, P) index of a positive's box in its image's ground truth (-1 elsewhere).
    """

    labels: Tensor
    label_weights: Tensor
    bbox_targets: Tensor
    assign_metrics: Tensor
    gt_inds: Tensor


@torch.no_grad()
def rtmdet_targets(
    assigner,
    priors: Tensor,
    valid_flags: Tensor,
    cls_scores: Tensor,
    decoded_bboxes: Tensor,
    batch_gt_instances: Sequence[InstanceData],
    num_classes: int,
    pos_weight: float = -1,
) -> RTMDetTargets:
    """Assign every image's valid points (one assigner call per image; no loop over boxes).

    Args:
        assigner: ``assign(pred_instances, gt_instances)`` (``DynamicSoftLabelAssigner``).
        priors: (P, 4) ``[x, y, stride_w, stride_h]``.
        valid_flags: (B, P) bool, points inside each image's padded shape.
        cls_scores: (B, P, C) logits; decoded_bboxes: (B, P, 4) x1y1x2y2.
        batch_gt_instances: B ``InstanceData`` with ``bboxes`` (G, 4) and ``labels`` (G,).
        num_classes: C.
        pos_weight: Class-loss weight of positives (<= 0: 1).
    """
    num_imgs, num_priors = valid_flags.shape
    labels = valid_flags.new_full((num_imgs, num_priors), num_classes, dtype=torch.long)
    label_weights = valid_flags.to(cls_scores.dtype)
    bbox_targets = decoded_bboxes.new_zeros((num_imgs, num_priors, 4))
    metrics = cls_scores.new_zeros((num_imgs, num_priors))
    gt_inds = labels.new_full((num_imgs, num_priors), -1)
    for i, gt in enumerate(batch_gt_instances):
        valid = valid_flags[i]
        pred = InstanceData(
            priors=priors[valid], scores=cls_scores[i][valid], bboxes=decoded_bboxes[i][valid]
        )
        result = assigner.assign(pred, gt)
        pos = result.gt_inds > 0
        inds = torch.nonzero(valid).flatten()[pos]
        matched = result.gt_inds[pos] - 1
        gt_inds[i, inds] = matched
        labels[i, inds] = gt.labels[matched].long()
        bbox_targets[i, inds] = gt.bboxes[matched].to(bbox_targets.dtype)
        metrics[i, inds] = result.max_overlaps[pos].to(metrics.dtype)
        if pos_weight > 0:
            label_weights[i, inds] = pos_weight
    return RTMDetTargets(labels, label_weights, bbox_targets, metrics, gt_inds)


@MODELS.register_module()
class RTMDetHead(BaseHead):
    """Two towers of ``stacked_convs`` convs shared by all levels; per level a learnable scale
    on the exponentiated distances; optional objectness merged into the class score.

    Args:
        num_classes: C, classes without background.
        in_channels: Channels of every input level.
        with_objectness: Add an objectness branch (its sigmoid is averaged geometrically into
            the class probability).
        act_cfg: Activation config of the towers.
        feat_channels: Channels of the tower convs.
        stacked_convs: Convs per tower.
        pred_kernel_size: Kernel size of the predictors.
        conv_cfg: Conv config.
        norm_cfg: Norm config of the towers.
        anchor_generator: Point generator (``MlvlPointGenerator`` with ``offset=0``).
        bbox_coder: Box coder (``DistancePointBBoxCoder``).
        loss_cls: Classification loss (``QualityFocalLoss``).
        loss_bbox: Box loss on decoded boxes (``GIoULoss``).
        train_cfg: ``assigner`` (``DynamicSoftLabelAssigner``), ``allowed_border``,
            ``pos_weight``.
        test_cfg: ``nms_pre``, ``score_thr``, ``nms``, ``max_per_img``, ``min_bbox_size``.
        init_cfg: Unused by the weights (``init_weights`` follows mmdet: normal(0, 0.01) convs,
            class bias at the prior probability 0.01); kept for the interface.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        with_objectness: bool = True,
        act_cfg: dict = dict(type="ReLU"),  # noqa: B006 (read-only default)
        feat_channels: int = 256,
        stacked_convs: int = 4,
        pred_kernel_size: int = 3,
        conv_cfg: dict | None = None,
        norm_cfg: dict = _GN,
        anchor_generator: dict = _POINTS,
        bbox_coder: dict = _CODER,
        loss_cls: dict | nn.Module = _QFL,
        loss_bbox: dict | nn.Module = _GIOU,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_classes < 1:
            raise ValueError(f"{type(self).__name__}: num_classes must be >= 1, got {num_classes}")
        self.num_classes = num_classes
        self.cls_out_channels = num_classes
        self.in_channels = in_channels
        self.with_objectness = with_objectness
        self.feat_channels = feat_channels
        self.stacked_convs = stacked_convs
        self.pred_kernel_size = pred_kernel_size
        self.conv_cfg, self.norm_cfg, self.act_cfg = conv_cfg, norm_cfg, act_cfg
        self.prior_generator = TASK_UTILS.build(anchor_generator)
        self.bbox_coder = TASK_UTILS.build(bbox_coder)
        self.num_base_priors = self.prior_generator.num_base_priors[0]
        self.loss_cls = build_module(loss_cls)
        self.loss_bbox = build_module(loss_bbox)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        if train_cfg:
            if "assigner" not in train_cfg:
                raise KeyError(f"{type(self).__name__}: train_cfg needs an 'assigner'")
            self.assigner = TASK_UTILS.build(train_cfg["assigner"])
        self._init_layers()

    @property
    def strides(self) -> list[int]:
        """The horizontal stride of every level."""
        return [s[0] for s in self.prior_generator.strides]

    def _tower_conv(self, index: int, conv: type[nn.Module] = ConvModule) -> nn.Module:
        return conv(
            self.in_channels if index == 0 else self.feat_channels,
            self.feat_channels,
            3,
            stride=1,
            padding=1,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg,
        )

    def _predictor(self, out_channels: int) -> nn.Conv2d:
        k = self.pred_kernel_size
        return nn.Conv2d(self.feat_channels, out_channels, k, padding=k // 2)

    def _init_layers(self) -> None:
        self.cls_convs = nn.ModuleList(self._tower_conv(i) for i in range(self.stacked_convs))
        self.reg_convs = nn.ModuleList(self._tower_conv(i) for i in range(self.stacked_convs))
        self.rtm_cls = self._predictor(self.num_base_priors * self.cls_out_channels)
        self.rtm_reg = self._predictor(self.num_base_priors * 4)
        if self.with_objectness:
            self.rtm_obj = self._predictor(1)
        self.scales = nn.ModuleList(Scale(1.0) for _ in self.strides)

    def _predictors(self) -> tuple[list[nn.Module], list[nn.Module], list[nn.Module]]:
        """The class, box and objectness predictors (one list entry per predictor module)."""
        as_list = lambda m: list(m) if isinstance(m, nn.ModuleList) else [m]  # noqa: E731
        obj = as_list(self.rtm_obj) if self.with_objectness else []
        return as_list(self.rtm_cls), as_list(self.rtm_reg), obj

    def init_weights(self) -> None:
        """Normal(0, 0.01) convs, unit norms, class and objectness biases at probability 0.01."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, 0.01)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            if is_norm(m):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        cls_convs, _, obj_convs = self._predictors()
        for conv in cls_convs + obj_convs:
            nn.init.constant_(conv.bias, _PRIOR_BIAS)

    # Forward ---------------------------------------------------------------------------------

    def forward(self, feats: tuple[Tensor, ...]) -> tuple[tuple[Tensor, ...], tuple[Tensor, ...]]:
        """L maps (B, in_channels, H_l, W_l) -> L class logits (B, C, H_l, W_l) and L distance
        maps (B, 4, H_l, W_l) in pixels."""
        self._check_levels(feats)
        cls_scores, bbox_preds = [], []
        for x, scale, stride in zip(feats, self.scales, self.strides):
            cls_feat, reg_feat = x, x
            for layer in self.cls_convs:
                cls_feat = layer(cls_feat)
            for layer in self.reg_convs:
                reg_feat = layer(reg_feat)
            cls_score = self.rtm_cls(cls_feat)
            if self.with_objectness:
                cls_score = sigmoid_geometric_mean_logit(cls_score, self.rtm_obj(reg_feat))
            cls_scores.append(cls_score)
            bbox_preds.append(scale(self.rtm_reg(reg_feat).exp()).float() * stride)
        return tuple(cls_scores), tuple(bbox_preds)

    def _check_levels(self, feats: Sequence[Tensor]) -> None:
        if len(feats) != len(self.strides):
            raise ValueError(
                f"{type(self).__name__} has {len(self.strides)} strides but got {len(feats)} maps"
            )

    # Loss ------------------------------------------------------------------------------------

    def loss(self, feats: tuple[Tensor, ...], batch_data_samples: SampleList) -> dict:
        """``loss_cls`` and ``loss_bbox`` of a batch."""
        gts, ignores, metas = unpack_gt_instances(batch_data_samples)
        return self.loss_by_feat(*self(feats), gts, metas, ignores)

    def _flat_priors_and_outputs(
        self, cls_scores: Sequence[Tensor], bbox_preds: Sequence[Tensor], metas: Sequence[dict]
    ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """``(priors (P, 4), valid (B, P), cls (B, P, C), dists (B, P, 4), boxes (B, P, 4))``."""
        num_imgs = cls_scores[0].size(0)
        sizes = [tuple(s.shape[-2:]) for s in cls_scores]
        device = cls_scores[0].device
        priors = torch.cat(self.prior_generator.grid_priors(sizes, device=device, with_stride=True))
        valid = torch.stack(
            [
                torch.cat(self.prior_generator.valid_flags(sizes, m["pad_shape"], device))
                for m in metas
            ]
        )
        cls = torch.cat(
            [
                s.permute(0, 2, 3, 1).reshape(num_imgs, -1, self.cls_out_channels)
                for s in cls_scores
            ],
            1,
        )
        dist = torch.cat([b.permute(0, 2, 3, 1).reshape(num_imgs, -1, 4) for b in bbox_preds], 1)
        return priors, valid, cls, dist, distance2bbox(priors[:, :2], dist)

    def loss_by_feat(
        self,
        cls_scores: Sequence[Tensor],
        bbox_preds: Sequence[Tensor],
        batch_gt_instances: Sequence[InstanceData],
        batch_img_metas: Sequence[dict],
        batch_gt_instances_ignore: Sequence | None = None,
    ) -> dict[str, Tensor]:
        """QFL over all valid points and IoU-weighted GIoU over positives, each divided by the
        sum of the positives' IoUs (mean over processes, at least 1)."""
        if not hasattr(self, "assigner"):
            raise RuntimeError(f"{type(self).__name__}.loss needs train_cfg=dict(assigner=...)")
        priors, valid, cls, _, bboxes = self._flat_priors_and_outputs(
            cls_scores, bbox_preds, batch_img_metas
        )
        targets = rtmdet_targets(
            self.assigner,
            priors,
            valid,
            cls.detach(),
            bboxes.detach(),
            batch_gt_instances,
            self.num_classes,
            (self.train_cfg or {}).get("pos_weight", -1),
        )
        return self._losses(cls, bboxes, targets)

    def _losses(self, cls: Tensor, bboxes: Tensor, targets: RTMDetTargets) -> dict[str, Tensor]:
        labels = targets.labels.reshape(-1)
        metrics = targets.assign_metrics.reshape(-1)
        loss_cls = self.loss_cls(
            cls.reshape(-1, self.cls_out_channels),
            (labels, metrics),
            targets.label_weights.reshape(-1),
            avg_factor=1.0,
        )
        pos = torch.nonzero((labels >= 0) & (labels < self.num_classes)).flatten()
        if len(pos) > 0:
            loss_bbox = self.loss_bbox(
                bboxes.reshape(-1, 4)[pos],
                targets.bbox_targets.reshape(-1, 4)[pos],
                weight=metrics[pos],
                avg_factor=1.0,
            )
        else:
            loss_bbox = bboxes.sum() * 0
        avg_factor = _reduce_mean(metrics.sum().detach()).clamp_(min=1).item()
        return dict(loss_cls=loss_cls / avg_factor, loss_bbox=loss_bbox / avg_factor)

    # Predict ---------------------------------------------------------------------------------

    def predict(
        self, feats: tuple[Tensor, ...], batch_data_samples: SampleList, rescale: bool = False
    ) -> list[InstanceData]:
        """Detections of every image: ``bboxes`` (K, 4), ``scores`` (K,), ``labels`` (K,)."""
        metas = [s.metainfo for s in batch_data_samples]
        return self.predict_by_feat(*self(feats), batch_img_metas=metas, rescale=rescale)

    @torch.no_grad()
    def predict_by_feat(
        self,
        cls_scores: Sequence[Tensor],
        bbox_preds: Sequence[Tensor],
        batch_img_metas: Sequence[dict],
        cfg: dict | None = None,
        rescale: bool = False,
        with_nms: bool = True,
    ) -> list[InstanceData]:
        """Per level the ``nms_pre`` best (point, class) pairs over ``score_thr``, boxes decoded
        and clipped to the image, rescaled, class-wise NMS, ``max_per_img`` best."""
        cfg = ConfigDict(cfg if cfg is not None else self.test_cfg or {})
        if with_nms and "nms" not in cfg:
            raise KeyError(f"{type(self).__name__}.predict needs test_cfg with nms")
        if not with_nms:
            cfg.pop("nms", None)
        sizes = [tuple(s.shape[-2:]) for s in cls_scores]
        priors = self.prior_generator.grid_priors(
            sizes, dtype=cls_scores[0].dtype, device=cls_scores[0].device
        )
        return dense_predict(
            cls_scores,
            bbox_preds,
            priors,
            distance2bbox,
            batch_img_metas,
            cfg,
            use_sigmoid=True,
            rescale=rescale,
            clip_border=self.bbox_coder.clip_border,
            exact_ties=not self.deploy,
        )


@MODELS.register_module()
class RTMDetSepBNHead(RTMDetHead):
    """RTMDet's head with per-level towers whose convs are shared across levels (``share_conv``)
    while their norms stay per level; distances are ``exp(x) * stride`` (``exp_on_reg``) or
    ``x * stride``.

    Args:
        num_classes: C.
        in_channels: Channels of every input level.
        share_conv: Share the tower convs (not the norms) between levels.
        use_depthwise: Depthwise separable tower convs.
        norm_cfg: Norm config of the towers.
        act_cfg: Activation config of the towers.
        pred_kernel_size: Kernel size of the predictors.
        exp_on_reg: Exponentiate the distance outputs.
        with_objectness: See :class:`RTMDetHead`.
        feat_channels: See :class:`RTMDetHead`.
        stacked_convs: See :class:`RTMDetHead`.
        conv_cfg: See :class:`RTMDetHead`.
        anchor_generator: See :class:`RTMDetHead`.
        bbox_coder: See :class:`RTMDetHead`.
        loss_cls: See :class:`RTMDetHead`.
        loss_bbox: See :class:`RTMDetHead`.
        train_cfg: See :class:`RTMDetHead`.
        test_cfg: See :class:`RTMDetHead`.
        init_cfg: See :class:`RTMDetHead`.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        share_conv: bool = True,
        use_depthwise: bool = False,
        norm_cfg: dict = _BN,
        act_cfg: dict = dict(type="SiLU"),  # noqa: B006 (read-only default)
        pred_kernel_size: int = 1,
        exp_on_reg: bool = False,
        with_objectness: bool = True,
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
        self.share_conv = share_conv
        self.exp_on_reg = exp_on_reg
        self.use_depthwise = use_depthwise
        super().__init__(
            num_classes,
            in_channels,
            with_objectness=with_objectness,
            act_cfg=act_cfg,
            feat_channels=feat_channels,
            stacked_convs=stacked_convs,
            pred_kernel_size=pred_kernel_size,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            anchor_generator=anchor_generator,
            bbox_coder=bbox_coder,
            loss_cls=loss_cls,
            loss_bbox=loss_bbox,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            init_cfg=init_cfg,
        )

    def _init_layers(self) -> None:
        conv = DepthwiseSeparableConvModule if self.use_depthwise else ConvModule
        levels = range(len(self.strides))

        def towers() -> nn.ModuleList:
            return nn.ModuleList(
                nn.ModuleList(self._tower_conv(i, conv) for i in range(self.stacked_convs))
                for _ in levels
            )

        self.cls_convs, self.reg_convs = towers(), towers()
        self.rtm_cls = nn.ModuleList(
            self._predictor(self.num_base_priors * self.cls_out_channels) for _ in levels
        )
        self.rtm_reg = nn.ModuleList(self._predictor(self.num_base_priors * 4) for _ in levels)
        if self.with_objectness:
            self.rtm_obj = nn.ModuleList(self._predictor(1) for _ in levels)
        if self.share_conv:
            for n in levels:
                for i in range(self.stacked_convs):
                    self.cls_convs[n][i].conv = self.cls_convs[0][i].conv
                    self.reg_convs[n][i].conv = self.reg_convs[0][i].conv

    def forward(self, feats: tuple[Tensor, ...]) -> tuple[tuple[Tensor, ...], tuple[Tensor, ...]]:
        """L maps (B, in_channels, H_l, W_l) -> L class logits (B, C, H_l, W_l) and L distance
        maps (B, 4, H_l, W_l) in pixels."""
        self._check_levels(feats)
        cls_scores, bbox_preds = [], []
        for level, (x, stride) in enumerate(zip(feats, self.strides)):
            cls_feat, reg_feat = self._tower_feats(x, level)
            cls_score = self.rtm_cls[level](cls_feat)
            if self.with_objectness:
                cls_score = sigmoid_geometric_mean_logit(cls_score, self.rtm_obj[level](reg_feat))
            reg = self.rtm_reg[level](reg_feat)
            cls_scores.append(cls_score)
            bbox_preds.append((reg.exp() if self.exp_on_reg else reg) * stride)
        return tuple(cls_scores), tuple(bbox_preds)

    def _tower_feats(self, x: Tensor, level: int) -> tuple[Tensor, Tensor]:
        """The class and box tower outputs of one level, each (B, feat_channels, H_l, W_l)."""
        cls_feat, reg_feat = x, x
        for layer in self.cls_convs[level]:
            cls_feat = layer(cls_feat)
        for layer in self.reg_convs[level]:
            reg_feat = layer(reg_feat)
        return cls_feat, reg_feat
