"""``YOLOXHead``: the decoupled anchor-free head of YOLOX (Ge et al., 2021,
https://arxiv.org/abs/2107.08430) with mmdet 3.x's arguments, defaults and ``state_dict`` keys
(``multi_level_cls_convs``, ``multi_level_reg_convs``, ``multi_level_conv_cls``,
``multi_level_conv_reg``, ``multi_level_conv_obj``).

Shape shorthand: B images; L levels of (H_l, W_l) at ``strides[l]``; P = sum of H_l * W_l priors
(one point per location, ``[x, y, stride_w, stride_h]`` with x, y the top-left of the cell);
C classes; G ground-truth boxes of an image.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.distributed as dist
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor, nn

from visionbox.core.models import BaseHead, ConvModule, DepthwiseSeparableConvModule

from ...registry import MODELS, TASK_UTILS
from ...structures import SampleList
from ..builder import build_module
from ..layers import batched_nms
from .rpn_head import unpack_gt_instances

__all__ = ["YOLOXHead", "grid_points"]

_YOLOX_NORM = dict(type="BN", momentum=0.03, eps=0.001)
_SWISH = dict(type="Swish")
_KAIMING = dict(
    type="Kaiming",
    layer="Conv2d",
    a=math.sqrt(5),
    distribution="uniform",
    mode="fan_in",
    nonlinearity="leaky_relu",
)
_LOSS_CLS = dict(type="CrossEntropyLoss", use_sigmoid=True, reduction="sum", loss_weight=1.0)
_LOSS_BBOX = dict(type="IoULoss", mode="square", eps=1e-16, reduction="sum", loss_weight=5.0)
_LOSS_L1 = dict(type="L1Loss", reduction="sum", loss_weight=1.0)


def grid_points(
    featmap_sizes: Sequence[tuple[int, int]],
    strides: Sequence[int],
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> Tensor:
    """All levels' points ``[x, y, stride, stride]`` (offset 0: the top-left of each cell).

    Returns:
        (P, 4), level by level, row-major within a level.
    """
    points = []
    for (h, w), stride in zip(featmap_sizes, strides):
        ys, xs = torch.meshgrid(
            torch.arange(h, device=device, dtype=dtype) * stride,
            torch.arange(w, device=device, dtype=dtype) * stride,
            indexing="ij",
        )
        s = torch.full_like(xs, float(stride))
        points.append(torch.stack([xs, ys, s, s], -1).reshape(-1, 4))
    return torch.cat(points)


def _reduce_mean(value: Tensor) -> Tensor:
    """The mean over distributed processes (the value itself when not distributed)."""
    if not (dist.is_available() and dist.is_initialized()):
        return value
    value = value.clone()
    dist.all_reduce(value.div_(dist.get_world_size()))
    return value


@MODELS.register_module()
class YOLOXHead(BaseHead):
    """Per level: two towers of ``stacked_convs`` convs; classification from one, box and
    objectness from the other. Trained with the SimOTA assignment.

    Args:
        num_classes: C, classes without background.
        in_channels: Channels of every input level.
        feat_channels: Channels of the tower convs.
        stacked_convs: Convs per tower.
        strides: Stride of every level.
        use_depthwise: Depthwise separable tower convs.
        dcn_on_last_conv: The last tower conv is a modulated deformable conv (``DCNv2``).
        conv_bias: Bias of the tower convs (``'auto'``: only without norm).
        conv_cfg: Conv config.
        norm_cfg: Norm config.
        act_cfg: Activation config.
        loss_cls: Classification loss (sigmoid cross entropy on IoU-aware targets).
        loss_bbox: Box loss on decoded boxes (IoU loss).
        loss_obj: Objectness loss.
        loss_l1: L1 loss on raw box outputs, used when ``use_l1`` is set (by
            ``YOLOXModeSwitchHook`` in the last epochs).
        train_cfg: ``assigner`` (``SimOTAAssigner``).
        test_cfg: ``score_thr``, ``nms`` (and optional ``max_per_img``).
        init_cfg: Weight initialisation (Kaiming uniform; the class and objectness biases start
            at the prior probability 0.01).
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        feat_channels: int = 256,
        stacked_convs: int = 2,
        strides: Sequence[int] = (8, 16, 32),
        use_depthwise: bool = False,
        dcn_on_last_conv: bool = False,
        conv_bias: bool | str = "auto",
        conv_cfg: dict | None = None,
        norm_cfg: dict = _YOLOX_NORM,
        act_cfg: dict = _SWISH,
        loss_cls: dict | nn.Module = _LOSS_CLS,
        loss_bbox: dict | nn.Module = _LOSS_BBOX,
        loss_obj: dict | nn.Module = _LOSS_CLS,
        loss_l1: dict | nn.Module = _LOSS_L1,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | list[dict] | None = _KAIMING,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not (conv_bias == "auto" or isinstance(conv_bias, bool)):
            raise ValueError(f"YOLOXHead: conv_bias must be 'auto' or a bool, got {conv_bias!r}")
        self.num_classes = num_classes
        self.cls_out_channels = num_classes
        self.in_channels = in_channels
        self.feat_channels = feat_channels
        self.stacked_convs = stacked_convs
        self.strides = tuple(strides)
        self.use_depthwise = use_depthwise
        self.dcn_on_last_conv = dcn_on_last_conv
        self.conv_bias = conv_bias
        self.use_sigmoid_cls = True
        self.conv_cfg, self.norm_cfg, self.act_cfg = conv_cfg, norm_cfg, act_cfg
        self.loss_cls = build_module(loss_cls)
        self.loss_bbox = build_module(loss_bbox)
        self.loss_obj = build_module(loss_obj)
        self.use_l1 = False  # switched on by YOLOXModeSwitchHook
        self.loss_l1 = build_module(loss_l1)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        if train_cfg:
            if "assigner" not in train_cfg:
                raise KeyError("YOLOXHead: train_cfg needs an 'assigner' (SimOTAAssigner)")
            self.assigner = TASK_UTILS.build(train_cfg["assigner"])
        self._init_layers()

    def _init_layers(self) -> None:
        self.multi_level_cls_convs = nn.ModuleList()
        self.multi_level_reg_convs = nn.ModuleList()
        self.multi_level_conv_cls = nn.ModuleList()
        self.multi_level_conv_reg = nn.ModuleList()
        self.multi_level_conv_obj = nn.ModuleList()
        for _ in self.strides:
            self.multi_level_cls_convs.append(self._build_stacked_convs())
            self.multi_level_reg_convs.append(self._build_stacked_convs())
            self.multi_level_conv_cls.append(nn.Conv2d(self.feat_channels, self.num_classes, 1))
            self.multi_level_conv_reg.append(nn.Conv2d(self.feat_channels, 4, 1))
            self.multi_level_conv_obj.append(nn.Conv2d(self.feat_channels, 1, 1))

    def _build_stacked_convs(self) -> nn.Sequential:
        conv = DepthwiseSeparableConvModule if self.use_depthwise else ConvModule
        last = self.stacked_convs - 1
        return nn.Sequential(
            *(
                conv(
                    self.in_channels if i == 0 else self.feat_channels,
                    self.feat_channels,
                    3,
                    stride=1,
                    padding=1,
                    conv_cfg=dict(type="DCNv2")
                    if self.dcn_on_last_conv and i == last
                    else self.conv_cfg,
                    norm_cfg=self.norm_cfg,
                    act_cfg=self.act_cfg,
                    bias=self.conv_bias,
                )
                for i in range(self.stacked_convs)
            )
        )

    def init_weights(self) -> None:
        super().init_weights()
        bias = float(-math.log((1 - 0.01) / 0.01))
        for conv_cls, conv_obj in zip(self.multi_level_conv_cls, self.multi_level_conv_obj):
            nn.init.constant_(conv_cls.bias, bias)
            nn.init.constant_(conv_obj.bias, bias)

    # Forward ---------------------------------------------------------------------------------

    def forward(self, feats: tuple[Tensor, ...]) -> tuple[list[Tensor], list[Tensor], list[Tensor]]:
        """L maps (B, in_channels, H_l, W_l) -> L class maps (B, C, H_l, W_l), L box maps
        (B, 4, H_l, W_l) and L objectness maps (B, 1, H_l, W_l)."""
        if len(feats) != len(self.strides):
            raise ValueError(f"YOLOXHead has {len(self.strides)} strides but got {len(feats)} maps")
        cls_scores, bbox_preds, objectnesses = [], [], []
        for level, x in enumerate(feats):
            cls_feat = self.multi_level_cls_convs[level](x)
            reg_feat = self.multi_level_reg_convs[level](x)
            cls_scores.append(self.multi_level_conv_cls[level](cls_feat))
            bbox_preds.append(self.multi_level_conv_reg[level](reg_feat))
            objectnesses.append(self.multi_level_conv_obj[level](reg_feat))
        return cls_scores, bbox_preds, objectnesses

    def _flatten(
        self, cls_scores, bbox_preds, objectnesses
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(B, P, C) class logits, (B, P, 4) raw boxes, (B, P) objectness logits, (P, 4) priors."""
        num_imgs = cls_scores[0].size(0)
        sizes = [tuple(s.shape[-2:]) for s in cls_scores]
        priors = grid_points(sizes, self.strides, cls_scores[0].dtype, cls_scores[0].device)
        cls = torch.cat(
            [s.permute(0, 2, 3, 1).reshape(num_imgs, -1, self.num_classes) for s in cls_scores], 1
        )
        box = torch.cat([b.permute(0, 2, 3, 1).reshape(num_imgs, -1, 4) for b in bbox_preds], 1)
        obj = torch.cat([o.permute(0, 2, 3, 1).reshape(num_imgs, -1) for o in objectnesses], 1)
        return cls, box, obj, priors

    @staticmethod
    def _bbox_decode(priors: Tensor, bbox_preds: Tensor) -> Tensor:
        """(P, 4) priors and (..., P, 4) ``(dx, dy, log w, log h)`` in strides -> x1y1x2y2."""
        xys = bbox_preds[..., :2] * priors[:, 2:] + priors[:, :2]
        whs = bbox_preds[..., 2:].exp() * priors[:, 2:]
        return torch.cat([xys - whs / 2, xys + whs / 2], -1)

    # Loss ------------------------------------------------------------------------------------

    def loss(self, feats: tuple[Tensor, ...], batch_data_samples: SampleList) -> dict:
        """``loss_cls``, ``loss_bbox``, ``loss_obj`` (and ``loss_l1`` when ``use_l1``)."""
        gts, ignores, metas = unpack_gt_instances(batch_data_samples)
        return self.loss_by_feat(*self(feats), gts, metas, ignores)

    def loss_by_feat(
        self,
        cls_scores: Sequence[Tensor],
        bbox_preds: Sequence[Tensor],
        objectnesses: Sequence[Tensor],
        batch_gt_instances: Sequence[InstanceData],
        batch_img_metas: Sequence[dict],
        batch_gt_instances_ignore: Sequence | None = None,
    ) -> dict[str, Tensor]:
        """Losses from the raw outputs; every sum is divided by the number of positives (mean
        over processes, at least 1)."""
        if not hasattr(self, "assigner"):
            raise RuntimeError("YOLOXHead.loss needs train_cfg=dict(assigner=...)")
        cls, box, obj, priors = self._flatten(cls_scores, bbox_preds, objectnesses)
        num_imgs = cls.size(0)
        bboxes = self._bbox_decode(priors, box)
        ignores = batch_gt_instances_ignore or [None] * num_imgs
        targets = [
            self._get_targets_single(
                priors, cls[i].detach(), bboxes[i].detach(), obj[i].detach(), gt, ignore
            )
            for i, (gt, ignore) in enumerate(zip(batch_gt_instances, ignores))
        ]
        pos_masks, cls_targets, obj_targets, bbox_targets, l1_targets, num_pos = zip(*targets)
        num_pos_all = sum(num_pos)
        num_total = max(
            float(_reduce_mean(torch.tensor(float(num_pos_all), device=cls.device))), 1.0
        )
        pos_mask = torch.cat(pos_masks)
        loss_obj = self.loss_obj(obj.reshape(-1, 1), torch.cat(obj_targets)) / num_total
        if num_pos_all > 0:
            loss_cls = (
                self.loss_cls(cls.reshape(-1, self.num_classes)[pos_mask], torch.cat(cls_targets))
                / num_total
            )
            loss_bbox = (
                self.loss_bbox(bboxes.reshape(-1, 4)[pos_mask], torch.cat(bbox_targets)) / num_total
            )
        else:
            # Keep the class and box branches in the graph when no image has ground truth.
            loss_cls = cls.sum() * 0
            loss_bbox = bboxes.sum() * 0
        losses = dict(loss_cls=loss_cls, loss_bbox=loss_bbox, loss_obj=loss_obj)
        if self.use_l1:
            if num_pos_all > 0:
                losses["loss_l1"] = (
                    self.loss_l1(box.reshape(-1, 4)[pos_mask], torch.cat(l1_targets)) / num_total
                )
            else:
                losses["loss_l1"] = box.sum() * 0
        return losses

    @torch.no_grad()
    def _get_targets_single(
        self,
        priors: Tensor,
        cls_preds: Tensor,
        decoded_bboxes: Tensor,
        objectness: Tensor,
        gt_instances: InstanceData,
        gt_instances_ignore: InstanceData | None = None,
    ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, int]:
        """Targets of one image.

        Args:
            priors: (P, 4) ``[x, y, stride_w, stride_h]``.
            cls_preds: (P, C) logits; decoded_bboxes: (P, 4); objectness: (P,) logits.

        Returns:
            ``(pos_mask (P,), cls_target (p, C), obj_target (P, 1), bbox_target (p, 4),
            l1_target (p, 4), p)``; the class target of a positive is its IoU with its box.
        """
        num_priors = priors.size(0)
        if len(gt_instances) == 0:
            return (
                cls_preds.new_zeros(num_priors, dtype=torch.bool),
                cls_preds.new_zeros((0, self.num_classes)),
                cls_preds.new_zeros((num_priors, 1)),
                cls_preds.new_zeros((0, 4)),
                cls_preds.new_zeros((0, 4)),
                0,
            )
        # The assignment uses cell centres; the regression is relative to the cell corners.
        centre_priors = torch.cat([priors[:, :2] + priors[:, 2:] * 0.5, priors[:, 2:]], -1)
        scores = (cls_preds.sigmoid() * objectness[:, None].sigmoid()).sqrt()
        assign = self.assigner.assign(
            InstanceData(bboxes=decoded_bboxes, scores=scores, priors=centre_priors),
            gt_instances,
            gt_instances_ignore,
        )
        pos_inds = torch.nonzero(assign.gt_inds > 0).flatten()
        pos_gt = assign.gt_inds[pos_inds] - 1
        gt_bboxes = gt_instances.bboxes.to(decoded_bboxes.dtype)
        bbox_target = gt_bboxes[pos_gt]
        pos_ious = assign.max_overlaps[pos_inds].to(cls_preds.dtype)
        cls_target = (
            F.one_hot(assign.labels[pos_inds], self.num_classes).to(cls_preds.dtype)
            * pos_ious[:, None]
        )
        obj_target = cls_preds.new_zeros((num_priors, 1))
        obj_target[pos_inds] = 1
        pos_mask = cls_preds.new_zeros(num_priors, dtype=torch.bool)
        pos_mask[pos_inds] = True
        l1_target = cls_preds.new_zeros((len(pos_inds), 4))
        if self.use_l1:
            l1_target = self._get_l1_target(bbox_target, priors[pos_inds])
        return pos_mask, cls_target, obj_target, bbox_target, l1_target, len(pos_inds)

    @staticmethod
    def _get_l1_target(gt_bboxes: Tensor, priors: Tensor, eps: float = 1e-8) -> Tensor:
        """(p, 4) boxes -> ``(dx, dy, log w, log h)`` relative to (p, 4) priors, in strides."""
        cxcy = (gt_bboxes[:, :2] + gt_bboxes[:, 2:]) / 2
        wh = gt_bboxes[:, 2:] - gt_bboxes[:, :2]
        return torch.cat(
            [(cxcy - priors[:, :2]) / priors[:, 2:], torch.log(wh / priors[:, 2:] + eps)], -1
        )

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
        cls_scores: list[Tensor],
        bbox_preds: list[Tensor],
        objectnesses: list[Tensor],
        batch_img_metas: list[dict],
        cfg: dict | None = None,
        rescale: bool = False,
        with_nms: bool = True,
    ) -> list[InstanceData]:
        """Score = best class probability * objectness; keep scores >= ``score_thr``; class-wise
        NMS; boxes divided by ``scale_factor`` when ``rescale``."""
        cfg = ConfigDict(cfg if cfg is not None else self.test_cfg or {})
        if "score_thr" not in cfg or (with_nms and "nms" not in cfg):
            raise KeyError("YOLOXHead.predict needs test_cfg with score_thr and nms")
        cls, box, obj, priors = self._flatten(cls_scores, bbox_preds, objectnesses)
        bboxes = self._bbox_decode(priors, box)
        scores_all = cls.sigmoid()
        obj = obj.sigmoid()
        max_per_img = cfg.get("max_per_img", -1)
        results = []
        for i, meta in enumerate(batch_img_metas):
            best, labels = scores_all[i].max(1)
            scores = best * obj[i]
            keep = scores >= cfg.score_thr
            det_boxes, det_scores, det_labels = bboxes[i][keep], scores[keep], labels[keep]
            if rescale:
                if meta.get("scale_factor") is None:
                    raise KeyError("rescale=True needs 'scale_factor' in the image metainfo")
                sf = det_boxes.new_tensor(meta["scale_factor"]).repeat(2)
                det_boxes = det_boxes / sf
            if with_nms and det_boxes.numel() > 0:
                dets, kept = batched_nms(det_boxes, det_scores, det_labels, cfg.nms)
                det_boxes, det_scores, det_labels = dets[:, :4], dets[:, 4], det_labels[kept]
                if max_per_img > 0:
                    det_boxes = det_boxes[:max_per_img]
                    det_scores = det_scores[:max_per_img]
                    det_labels = det_labels[:max_per_img]
            results.append(InstanceData(bboxes=det_boxes, scores=det_scores, labels=det_labels))
        return results
