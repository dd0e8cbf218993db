"""``FCOSHead``: the head of FCOS (Tian et al., "FCOS: Fully Convolutional One-Stage Object
Detection", https://arxiv.org/abs/1904.01355), with mmdet 3.x's arguments, defaults and
``state_dict`` keys (``cls_convs``, ``reg_convs``, ``conv_cls``, ``conv_reg``,
``conv_centerness``, ``scales.i.scale``).

Every location of level l is a point; a point inside a ground-truth box (or, with
``center_sampling``, inside a radius of its centre) whose largest side distance lies in the
level's ``regress_ranges`` is a positive of that box (of the smallest such box). The head predicts
the four side distances, the classes and the "centerness" of the point in its box.

Shape shorthand: B images; L levels; T points of all levels; G ground-truth boxes (padded to the
largest image's count); C classes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Literal

import torch
import torch.distributed as dist
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ...registry import MODELS
from ..builder import build_module
from .anchor_free_head import AnchorFreeHead, Scale

__all__ = ["FCOSHead"]

INF = 1e8
_GN32 = MappingProxyType(dict(type="GN", num_groups=32, requires_grad=True))


def _reduce_mean(value: Tensor) -> Tensor:
    """Mean over the processes of a distributed run (the value itself otherwise)."""
    if not (dist.is_available() and dist.is_initialized()):
        return value
    value = value.clone()
    dist.all_reduce(value.div_(dist.get_world_size()), op=dist.ReduceOp.SUM)
    return value


def _pad_gt(batch_gt_instances: Sequence[InstanceData], device) -> tuple[Tensor, Tensor, Tensor]:
    """(B, G, 4) boxes, (B, G) labels and (B, G) validity of padded ground truth."""
    num_gts = max((len(gt) for gt in batch_gt_instances), default=0)
    num_imgs = len(batch_gt_instances)
    boxes = torch.zeros((num_imgs, num_gts, 4), device=device)
    labels = torch.zeros((num_imgs, num_gts), dtype=torch.long, device=device)
    valid = torch.zeros((num_imgs, num_gts), dtype=torch.bool, device=device)
    for i, gt in enumerate(batch_gt_instances):  # one copy per image
        n = len(gt)
        boxes[i, :n] = gt.bboxes.to(device=device, dtype=boxes.dtype).reshape(-1, 4)
        labels[i, :n] = gt.labels.to(device)
        valid[i, :n] = True
    return boxes, labels, valid


@MODELS.register_module()
class FCOSHead(AnchorFreeHead):
    """FCOS head: towers, class scores, side distances (exp of a scaled output, or ReLU with
    ``norm_on_bbox``) and centerness per point.

    Args:
        num_classes: Foreground classes.
        in_channels: Channels of every input level.
        regress_ranges: (min, max) of the largest side distance a level regresses.
        center_sampling: Positives only within ``center_sample_radius`` strides of the box
            centre.
        center_sample_radius: See ``center_sampling``.
        norm_on_bbox: Regress distances in units of the level's stride (ReLU instead of exp).
        centerness_on_reg: Centerness from the regression tower (else the classification one).
        loss_cls: Classification loss config (sigmoid focal loss).
        loss_bbox: Box loss config (IoU loss; ``GIoULoss`` in the improved configs).
        loss_centerness: Centerness loss config (sigmoid cross entropy).
        norm_cfg: Norm of the towers (GroupNorm of 32 groups by default).
        cls_predictor_cfg: mmdet's ``NormedConv2d`` classifier option; only ``None`` is supported.
        feat_channels, stacked_convs, strides, dcn_on_last_conv, conv_bias, bbox_coder, conv_cfg,
        train_cfg, test_cfg, init_cfg: As in :class:`AnchorFreeHead`.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        regress_ranges: Sequence[tuple[float, float]] = (
            (-1, 64),
            (64, 128),
            (128, 256),
            (256, 512),
            (512, INF),
        ),
        center_sampling: bool = False,
        center_sample_radius: float = 1.5,
        norm_on_bbox: bool = False,
        centerness_on_reg: bool = False,
        loss_cls: dict | nn.Module | None = None,
        loss_bbox: dict | nn.Module | None = None,
        loss_centerness: dict | nn.Module | None = None,
        norm_cfg: Mapping | None = _GN32,
        cls_predictor_cfg: dict | None = None,
        feat_channels: int = 256,
        stacked_convs: int = 4,
        strides: Sequence[int | Sequence[int]] = (4, 8, 16, 32, 64),
        dcn_on_last_conv: bool = False,
        conv_bias: bool | Literal["auto"] = "auto",
        bbox_coder: dict | None = None,
        conv_cfg: dict | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if cls_predictor_cfg is not None:
            raise ValueError(
                "FCOSHead(cls_predictor_cfg=...) (mmdet's NormedConv2d classifier) is not "
                "supported; leave it None."
            )
        if len(regress_ranges) != len(strides):
            raise ValueError(
                f"regress_ranges has {len(regress_ranges)} entries but strides {len(strides)}"
            )
        self.regress_ranges = regress_ranges
        self.center_sampling = center_sampling
        self.center_sample_radius = center_sample_radius
        self.norm_on_bbox = norm_on_bbox
        self.centerness_on_reg = centerness_on_reg
        self.cls_predictor_cfg = cls_predictor_cfg
        super().__init__(
            num_classes,
            in_channels,
            feat_channels=feat_channels,
            stacked_convs=stacked_convs,
            strides=strides,
            dcn_on_last_conv=dcn_on_last_conv,
            conv_bias=conv_bias,
            loss_cls=loss_cls,
            loss_bbox=loss_bbox,
            bbox_coder=bbox_coder,
            conv_cfg=conv_cfg,
            norm_cfg=None if norm_cfg is None else dict(norm_cfg),
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            init_cfg=init_cfg,
        )
        self.loss_centerness = build_module(
            loss_centerness or dict(type="CrossEntropyLoss", use_sigmoid=True, loss_weight=1.0)
        )

    def _init_layers(self) -> None:
        super()._init_layers()
        self.conv_centerness = nn.Conv2d(self.feat_channels, 1, 3, padding=1)
        self.scales = nn.ModuleList([Scale(1.0) for _ in self.strides])

    # Forward ---------------------------------------------------------------------------------

    def forward(self, feats: tuple[Tensor, ...]) -> tuple[list[Tensor], list[Tensor], list[Tensor]]:
        """L levels -> (L score maps (B, C, H_l, W_l), L distance maps (B, 4, H_l, W_l),
        L centerness maps (B, 1, H_l, W_l))."""
        outs = [
            self._forward_level(x, scale, stride)
            for x, scale, stride in zip(feats, self.scales, self.prior_generator.strides)
        ]
        return [o[0] for o in outs], [o[1] for o in outs], [o[2] for o in outs]

    def _forward_level(self, x: Tensor, scale: Scale, stride: tuple[int, int]):
        cls_score, bbox_pred, cls_feat, reg_feat = self.forward_single(x)
        centerness = self.conv_centerness(reg_feat if self.centerness_on_reg else cls_feat)
        bbox_pred = scale(bbox_pred).float()
        if self.norm_on_bbox:
            bbox_pred = bbox_pred.clamp(min=0)
            if not self.training:
                bbox_pred = bbox_pred * stride[0]
        else:
            bbox_pred = bbox_pred.exp()
        return cls_score, bbox_pred, centerness

    # Targets ---------------------------------------------------------------------------------

    def get_targets(
        self, points: list[Tensor], batch_gt_instances: Sequence[InstanceData]
    ) -> tuple[Tensor, Tensor]:
        """Labels (B, T) (``num_classes``: background) and distance targets (B, T, 4) (divided
        by the stride with ``norm_on_bbox``) of all images at once.

        Args:
            points: L tensors (N_l, 2) of the levels' points.
            batch_gt_instances: B ground truths with ``bboxes`` (G_i, 4) and ``labels`` (G_i,).
        """
        device = points[0].device
        counts = [len(p) for p in points]
        pts = torch.cat(points)
        strides = torch.repeat_interleave(
            pts.new_tensor([s[0] for s in self.prior_generator.strides]),
            torch.tensor(counts, device=device),
        )
        ranges = torch.repeat_interleave(
            pts.new_tensor(self.regress_ranges), torch.tensor(counts, device=device), dim=0
        )
        boxes, gt_labels, gt_valid = _pad_gt(batch_gt_instances, device)
        num_imgs, num_points = len(batch_gt_instances), pts.size(0)
        if boxes.size(1) == 0:
            return (
                gt_labels.new_full((num_imgs, num_points), self.num_classes),
                pts.new_zeros((num_imgs, num_points, 4)),
            )
        xs, ys = pts[None, :, None, 0], pts[None, :, None, 1]  # (1, T, 1)
        b = boxes[:, None]  # (B, 1, G, 4)
        dist = torch.stack(
            [xs - b[..., 0], ys - b[..., 1], b[..., 2] - xs, b[..., 3] - ys], dim=-1
        )  # (B, T, G, 4)
        if self.center_sampling:
            radius = (strides * self.center_sample_radius)[None, :, None]
            cx, cy = (b[..., 0] + b[..., 2]) / 2, (b[..., 1] + b[..., 3]) / 2
            inside = (
                torch.stack(
                    [
                        xs - torch.max(cx - radius, b[..., 0]),
                        ys - torch.max(cy - radius, b[..., 1]),
                        torch.min(cx + radius, b[..., 2]) - xs,
                        torch.min(cy + radius, b[..., 3]) - ys,
                    ],
                    dim=-1,
                ).amin(-1)
                > 0
            )
        else:
            inside = dist.amin(-1) > 0
        max_dist = dist.amax(-1)
        in_range = (max_dist >= ranges[None, :, None, 0]) & (max_dist <= ranges[None, :, None, 1])
        areas = ((boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1]))[:, None]
        areas = torch.where(inside & in_range & gt_valid[:, None], areas, INF)
        min_area, gt_inds = areas.min(dim=-1)  # (B, T)
        labels = gt_labels.gather(1, gt_inds)
        labels[min_area == INF] = self.num_classes
        targets = dist.gather(2, gt_inds[..., None, None].expand(-1, -1, 1, 4)).squeeze(2)
        if self.norm_on_bbox:
            targets = targets / strides[None, :, None]
        return labels, targets

    @staticmethod
    def centerness_target(pos_bbox_targets: Tensor) -> Tensor:
        """(P,) ``sqrt(min(l, r) / max(l, r) * min(t, b) / max(t, b))`` of (P, 4) distances."""
        if len(pos_bbox_targets) == 0:
            return pos_bbox_targets[:, 0]
        lr = pos_bbox_targets[:, [0, 2]]
        tb = pos_bbox_targets[:, [1, 3]]
        ratio = (lr.amin(-1) / lr.amax(-1)) * (tb.amin(-1) / tb.amax(-1))
        return torch.sqrt(ratio)

    # Loss ------------------------------------------------------------------------------------

    def loss_by_feat(
        self,
        cls_scores: list[Tensor],
        bbox_preds: list[Tensor],
        centernesses: list[Tensor],
        batch_gt_instances: list[InstanceData],
        batch_img_metas: list[dict],
        batch_gt_instances_ignore: list | None = None,
    ) -> dict[str, Tensor]:
        """``loss_cls`` (over all points), ``loss_bbox`` (IoU of decoded boxes of positives,
        weighted by the centerness targets) and ``loss_centerness``."""
        if not len(cls_scores) == len(bbox_preds) == len(centernesses):
            raise ValueError("cls_scores, bbox_preds and centernesses need one map per level")
        sizes = [tuple(s.shape[-2:]) for s in cls_scores]
        points = self.prior_generator.grid_priors(
            sizes, dtype=bbox_preds[0].dtype, device=bbox_preds[0].device
        )
        labels, bbox_targets = self.get_targets(points, batch_gt_instances)
        num_imgs = cls_scores[0].size(0)

        def flat(maps: list[Tensor], channels: int) -> Tensor:
            return torch.cat(
                [m.permute(0, 2, 3, 1).reshape(num_imgs, -1, channels) for m in maps], 1
            ).reshape(-1, channels)

        flat_cls = flat(cls_scores, self.cls_out_channels)
        flat_bbox = flat(bbox_preds, 4)
        flat_centerness = flat(centernesses, 1).reshape(-1)
        flat_labels = labels.reshape(-1)
        flat_targets = bbox_targets.reshape(-1, 4)
        flat_points = torch.cat(points).repeat(num_imgs, 1)

        pos_inds = ((flat_labels >= 0) & (flat_labels < self.num_classes)).nonzero().reshape(-1)
        num_pos = _reduce_mean(flat_cls.new_tensor(float(len(pos_inds)))).clamp(min=1.0).item()
        loss_cls = self.loss_cls(flat_cls, flat_labels, avg_factor=num_pos)

        pos_bbox_preds = flat_bbox[pos_inds]
        pos_centerness = flat_centerness[pos_inds]
        pos_targets = flat_targets[pos_inds]
        centerness_targets = self.centerness_target(pos_targets)
        if len(pos_inds) > 0:
            denorm = _reduce_mean(centerness_targets.sum().detach()).clamp(min=1e-6).item()
            pos_points = flat_points[pos_inds]
            loss_bbox = self.loss_bbox(
                self.bbox_coder.decode(pos_points, pos_bbox_preds),
                self.bbox_coder.decode(pos_points, pos_targets),
                weight=centerness_targets,
                avg_factor=denorm,
            )
            loss_centerness = self.loss_centerness(
                pos_centerness, centerness_targets, avg_factor=num_pos
            )
        else:
            loss_bbox = pos_bbox_preds.sum()
            loss_centerness = pos_centerness.sum()
        return dict(loss_cls=loss_cls, loss_bbox=loss_bbox, loss_centerness=loss_centerness)
