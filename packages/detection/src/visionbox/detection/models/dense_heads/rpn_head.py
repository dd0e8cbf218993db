"""``RPNHead``: the Region Proposal Network of Faster R-CNN (Ren et al., 2015,
https://arxiv.org/abs/1506.01497), with mmdet 3.x's arguments and ``state_dict`` keys
(``rpn_conv``, ``rpn_cls``, ``rpn_reg``).

Shape shorthand: B images; L levels of (H_l, W_l); A anchors per location; T all anchors.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor, nn

from visionbox.core.models import BaseHead, ConvModule

from ...registry import MODELS, TASK_UTILS
from ...structures import SampleList
from ..builder import build_module
from ..layers import batched_nms
from .anchor_targets import anchor_losses, anchor_targets, flatten_level_outputs

__all__ = ["RPNHead", "unpack_gt_instances"]


def unpack_gt_instances(batch_data_samples: SampleList) -> tuple[list, list, list]:
    """``(batch_gt_instances, batch_gt_instances_ignore, batch_img_metas)`` of the samples."""
    gts, ignores, metas = [], [], []
    for sample in batch_data_samples:
        gts.append(sample.gt_instances)
        ignores.append(getattr(sample, "ignored_instances", None))
        metas.append(sample.metainfo)
    return gts, ignores, metas


def _cfg_get(cfg, key, default=None):
    return cfg.get(key, default) if cfg is not None else default


@MODELS.register_module()
class RPNHead(BaseHead):
    """Objectness and box deltas of every anchor; proposals by per-level top-k and NMS.

    Args:
        in_channels: Channels of every input level.
        num_classes: 1 (objectness).
        feat_channels: Channels of the shared 3x3 conv(s).
        num_convs: Number of shared 3x3 convs (``rpn_conv``; a ``Sequential`` of ConvModules
            when > 1).
        anchor_generator: Config of the anchor generator.
        bbox_coder: Config of the box coder.
        reg_decoded_bbox: Regress absolute boxes (for IoU losses).
        loss_cls: Classification loss config (sigmoid cross entropy by default).
        loss_bbox: Box regression loss config.
        train_cfg: ``assigner``, ``sampler``, ``allowed_border``, ``pos_weight``, ``debug``.
        test_cfg: ``nms_pre``, ``max_per_img``, ``nms``, ``min_bbox_size``.
        init_cfg: Weight initialisation (normal, std 0.01, on the convs).
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int = 1,
        feat_channels: int = 256,
        num_convs: int = 1,
        anchor_generator: dict | None = None,
        bbox_coder: dict | None = None,
        reg_decoded_bbox: bool = False,
        loss_cls: dict | nn.Module | None = None,
        loss_bbox: dict | nn.Module | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(
            init_cfg=init_cfg
            if init_cfg is not None
            else dict(type="Normal", layer="Conv2d", std=0.01)
        )
        if num_classes != 1:
            raise ValueError(
                f"RPNHead predicts objectness: num_classes must be 1, got {num_classes}"
            )
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.feat_channels = feat_channels
        self.num_convs = num_convs
        self.prior_generator = TASK_UTILS.build(
            anchor_generator
            or dict(
                type="AnchorGenerator",
                scales=[8, 16, 32],
                ratios=[0.5, 1.0, 2.0],
                strides=[4, 8, 16, 32, 64],
            )
        )
        self.bbox_coder = TASK_UTILS.build(
            bbox_coder
            or dict(
                type="DeltaXYWHBBoxCoder",
                clip_border=True,
                target_means=(0.0, 0.0, 0.0, 0.0),
                target_stds=(1.0, 1.0, 1.0, 1.0),
            )
        )
        self.reg_decoded_bbox = reg_decoded_bbox
        self.loss_cls = build_module(
            loss_cls or dict(type="CrossEntropyLoss", use_sigmoid=True, loss_weight=1.0)
        )
        self.loss_bbox = build_module(
            loss_bbox or dict(type="SmoothL1Loss", beta=1.0 / 9.0, loss_weight=1.0)
        )
        self.use_sigmoid_cls = bool(getattr(self.loss_cls, "use_sigmoid", False))
        self.cls_out_channels = num_classes if self.use_sigmoid_cls else num_classes + 1
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        if train_cfg is not None:
            self.assigner = TASK_UTILS.build(train_cfg["assigner"])
            sampler = train_cfg.get("sampler", dict(type="PseudoSampler"))
            self.sampler = TASK_UTILS.build(sampler)
        self.num_base_priors = self.prior_generator.num_base_priors[0]
        self._init_layers()

    def _init_layers(self) -> None:
        if self.num_convs > 1:
            self.rpn_conv = nn.Sequential(
                *[
                    ConvModule(
                        self.in_channels if i == 0 else self.feat_channels,
                        self.feat_channels,
                        3,
                        padding=1,
                        inplace=False,
                    )
                    for i in range(self.num_convs)
                ]
            )
        else:
            self.rpn_conv = nn.Conv2d(self.in_channels, self.feat_channels, 3, padding=1)
        self.rpn_cls = nn.Conv2d(
            self.feat_channels, self.num_base_priors * self.cls_out_channels, 1
        )
        self.rpn_reg = nn.Conv2d(
            self.feat_channels, self.num_base_priors * self.bbox_coder.encode_size, 1
        )

    # Forward ---------------------------------------------------------------------------------

    def forward_single(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(B, C, H, W) -> (B, A * cls_out_channels, H, W), (B, A * 4, H, W)."""
        x = F.relu(self.rpn_conv(x), inplace=True)
        return self.rpn_cls(x), self.rpn_reg(x)

    def forward(self, feats: tuple[Tensor, ...]) -> tuple[list[Tensor], list[Tensor]]:
        """L levels -> (L class maps, L delta maps)."""
        outs = [self.forward_single(x) for x in feats]
        return [o[0] for o in outs], [o[1] for o in outs]

    # Loss ------------------------------------------------------------------------------------

    def _anchors(self, cls_scores: Sequence[Tensor], batch_img_metas: Sequence[dict]):
        sizes = [tuple(s.shape[-2:]) for s in cls_scores]
        device = cls_scores[0].device
        anchors = torch.cat(self.prior_generator.grid_priors(sizes, device=device))
        valid = torch.stack(
            [
                torch.cat(
                    self.prior_generator.valid_flags(
                        sizes, meta.get("pad_shape", meta["img_shape"]), device
                    )
                )
                for meta in batch_img_metas
            ]
        )
        return anchors, valid

    def loss_by_feat(
        self,
        cls_scores: list[Tensor],
        bbox_preds: list[Tensor],
        batch_gt_instances: list[InstanceData],
        batch_img_metas: list[dict],
        batch_gt_instances_ignore: list | None = None,
    ) -> dict[str, Tensor]:
        """``loss_rpn_cls`` and ``loss_rpn_bbox`` from the head's raw outputs."""
        if self.train_cfg is None:
            raise RuntimeError("RPNHead.loss needs train_cfg (assigner, sampler).")
        anchors, valid = self._anchors(cls_scores, batch_img_metas)
        targets = anchor_targets(
            anchors,
            valid,
            batch_gt_instances,
            batch_img_metas,
            self.assigner,
            self.sampler,
            self.bbox_coder,
            self.num_classes,
            batch_gt_instances_ignore,
            pos_weight=_cfg_get(self.train_cfg, "pos_weight", -1),
            allowed_border=_cfg_get(self.train_cfg, "allowed_border", -1),
            reg_decoded_bbox=self.reg_decoded_bbox,
        )
        loss_cls, loss_bbox = anchor_losses(
            flatten_level_outputs(cls_scores, self.cls_out_channels),
            flatten_level_outputs(bbox_preds, 4),
            anchors,
            targets,
            self.loss_cls,
            self.loss_bbox,
            self.bbox_coder,
            self.reg_decoded_bbox,
        )
        return dict(loss_rpn_cls=loss_cls, loss_rpn_bbox=loss_bbox)

    def loss(self, feats: tuple[Tensor, ...], batch_data_samples: SampleList) -> dict:
        """RPN losses; the ground-truth labels are treated as objectness (class 0)."""
        gts, ignores, metas = unpack_gt_instances(batch_data_samples)
        gts = [_as_objectness(gt) for gt in gts]
        return self.loss_by_feat(*self(feats), gts, metas, ignores)

    def loss_and_predict(
        self, feats: tuple[Tensor, ...], batch_data_samples: SampleList, proposal_cfg=None
    ) -> tuple[dict, list[InstanceData]]:
        """Losses and the (detached) proposals of one forward pass."""
        gts, ignores, metas = unpack_gt_instances(batch_data_samples)
        gts = [_as_objectness(gt) for gt in gts]
        cls_scores, bbox_preds = self(feats)
        losses = self.loss_by_feat(cls_scores, bbox_preds, gts, metas, ignores)
        proposals = self.predict_by_feat(
            cls_scores, bbox_preds, metas, cfg=proposal_cfg, rescale=False
        )
        return losses, proposals

    # Predict ---------------------------------------------------------------------------------

    def predict(
        self, feats: tuple[Tensor, ...], batch_data_samples: SampleList, rescale: bool = False
    ) -> list[InstanceData]:
        """Proposals of every image: ``bboxes`` (P, 4), ``scores`` (P,), ``labels`` (P,) zeros."""
        metas = [s.metainfo for s in batch_data_samples]
        return self.predict_by_feat(*self(feats), metas, rescale=rescale)

    @torch.no_grad()
    def predict_by_feat(
        self,
        cls_scores: list[Tensor],
        bbox_preds: list[Tensor],
        batch_img_metas: list[dict],
        cfg: dict | None = None,
        rescale: bool = False,
    ) -> list[InstanceData]:
        """Top ``nms_pre`` anchors per level, decoding, size filter and NMS per level and image.

        All images are ranked and decoded at once; NMS runs per image (within each level).
        """
        cfg = ConfigDict(copy.deepcopy(cfg if cfg is not None else self.test_cfg or {}))
        nms_pre = cfg.get("nms_pre", -1)
        num_imgs = cls_scores[0].size(0)
        device = cls_scores[0].device
        sizes = [tuple(s.shape[-2:]) for s in cls_scores]
        priors = self.prior_generator.grid_priors(sizes, dtype=cls_scores[0].dtype, device=device)
        all_scores, all_boxes, all_priors, all_levels = [], [], [], []
        for level, (score, pred) in enumerate(zip(cls_scores, bbox_preds)):
            score = score.permute(0, 2, 3, 1).reshape(num_imgs, -1, self.cls_out_channels)
            score = score.sigmoid()[..., 0] if self.use_sigmoid_cls else score.softmax(-1)[..., 0]
            pred = pred.permute(0, 2, 3, 1).reshape(num_imgs, -1, 4)
            level_priors = priors[level].expand(num_imgs, -1, -1)
            if 0 < nms_pre < score.size(1):
                if self.deploy:  # the same anchors unless scores tie at the cut
                    score, inds = score.topk(nms_pre, dim=1)
                else:  # a full sort as mmdet (topk picks and orders tied scores otherwise)
                    score, inds = score.sort(dim=1, descending=True)
                    score, inds = score[:, :nms_pre], inds[:, :nms_pre]
                pred = pred.gather(1, inds[..., None].expand(-1, -1, 4))
                level_priors = level_priors.gather(1, inds[..., None].expand(-1, -1, 4))
            all_scores.append(score)
            all_boxes.append(pred)
            all_priors.append(level_priors)
            all_levels.append(torch.full_like(score, level, dtype=torch.long))
        scores = torch.cat(all_scores, 1)
        boxes = self.bbox_coder.decode(torch.cat(all_priors, 1), torch.cat(all_boxes, 1))
        levels = torch.cat(all_levels, 1)
        # Clip every image to its own shape.
        bounds = boxes.new_tensor([[m["img_shape"][1], m["img_shape"][0]] for m in batch_img_metas])
        bounds = bounds.repeat(1, 2)[:, None, :]
        boxes = torch.min(boxes.clamp(min=0), bounds)
        return self._nms_per_image(scores, boxes, levels, batch_img_metas, cfg, rescale)

    def _nms_per_image(self, scores, boxes, levels, batch_img_metas, cfg, rescale):
        """Size filter, NMS within each level and ``max_per_img`` of each image.

        One ``batched_nms`` call per image, on that image's candidates in level order, so that
        proposals of equal score come out in mmdet's order.

        Args:
            scores: (B, P) objectness; boxes: (B, P, 4); levels: (B, P) level of each box.
        """
        min_size = cfg.get("min_bbox_size", -1)
        max_per_img = cfg.get("max_per_img", -1)
        results = []
        for i, meta in enumerate(batch_img_metas):
            img_scores, img_boxes, img_levels = scores[i], boxes[i], levels[i]
            if min_size >= 0:
                wh = img_boxes[:, 2:] - img_boxes[:, :2]
                ok = (wh > min_size).all(dim=1)
                img_scores, img_boxes, img_levels = img_scores[ok], img_boxes[ok], img_levels[ok]
            dets, _ = batched_nms(img_boxes, img_scores, img_levels, cfg["nms"])
            if max_per_img > 0:
                dets = dets[:max_per_img]
            bboxes = dets[:, :4]
            if rescale and "scale_factor" in meta:
                sf = meta["scale_factor"]
                bboxes = bboxes / bboxes.new_tensor([sf[0], sf[1], sf[0], sf[1]])
            results.append(
                InstanceData(
                    bboxes=bboxes,
                    scores=dets[:, 4],
                    labels=torch.zeros(len(dets), dtype=torch.long, device=dets.device),
                )
            )
        return results


def _as_objectness(gt: InstanceData) -> InstanceData:
    out = InstanceData(bboxes=gt.bboxes)
    out.labels = torch.zeros(len(gt.bboxes), dtype=torch.long, device=gt.bboxes.device)
    return out
