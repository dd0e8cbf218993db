"""``AnchorHead``: the base of anchor-based dense heads (RetinaNet, ...), with mmdet 3.x's
arguments, defaults and ``state_dict`` keys (``conv_cls``, ``conv_reg`` in the plain head).

Shape shorthand: B images; L levels of (H_l, W_l); A anchors per location; C classification
channels per anchor (``cls_out_channels``: ``num_classes`` with a sigmoid loss, one more with
softmax); T anchors of all levels.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor, nn

from visionbox.core.models import BaseHead

from ...registry import MODELS, TASK_UTILS
from ...structures import SampleList
from ..builder import build_module
from .anchor_targets import anchor_losses, anchor_targets, flatten_level_outputs
from .dense_predict import dense_predict
from .rpn_head import unpack_gt_instances

__all__ = ["AnchorHead"]


def _default(value, fallback):
    return copy.deepcopy(fallback) if value is None else value


@MODELS.register_module()
class AnchorHead(BaseHead):
    """Class scores and box deltas of every anchor from 1x1 convs (subclasses change the layers).

    Args:
        num_classes: Foreground classes.
        in_channels: Channels of every input level.
        feat_channels: Channels of the hidden convs (used by subclasses).
        anchor_generator: Anchor generator config.
        bbox_coder: Box coder config.
        reg_decoded_bbox: Regress absolute boxes (for IoU losses) instead of deltas.
        loss_cls: Classification loss config (sigmoid cross entropy by default).
        loss_bbox: Box loss config (smooth L1 by default).
        train_cfg: ``assigner``, ``sampler`` (``PseudoSampler`` when absent), ``allowed_border``,
            ``pos_weight``, ``debug``.
        test_cfg: ``nms_pre``, ``score_thr``, ``nms``, ``max_per_img``, ``min_bbox_size``.
        init_cfg: Weight initialisation (normal, std 0.01, on the convs).
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        feat_channels: int = 256,
        anchor_generator: dict | None = None,
        bbox_coder: dict | None = None,
        reg_decoded_bbox: bool = False,
        loss_cls: dict | nn.Module | None = None,
        loss_bbox: dict | nn.Module | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(init_cfg=_default(init_cfg, dict(type="Normal", layer="Conv2d", std=0.01)))
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.feat_channels = feat_channels
        self.loss_cls = build_module(
            _default(loss_cls, dict(type="CrossEntropyLoss", use_sigmoid=True, loss_weight=1.0))
        )
        self.loss_bbox = build_module(
            _default(loss_bbox, dict(type="SmoothL1Loss", beta=1.0 / 9.0, loss_weight=1.0))
        )
        self.use_sigmoid_cls = bool(getattr(self.loss_cls, "use_sigmoid", False))
        self.cls_out_channels = num_classes if self.use_sigmoid_cls else num_classes + 1
        if self.cls_out_channels <= 0:
            raise ValueError(f"num_classes={num_classes} is too small")
        self.reg_decoded_bbox = reg_decoded_bbox
        self.bbox_coder = TASK_UTILS.build(
            _default(
                bbox_coder,
                dict(
                    type="DeltaXYWHBBoxCoder",
                    clip_border=True,
                    target_means=(0.0, 0.0, 0.0, 0.0),
                    target_stds=(1.0, 1.0, 1.0, 1.0),
                ),
            )
        )
        self.prior_generator = TASK_UTILS.build(
            _default(
                anchor_generator,
                dict(
                    type="AnchorGenerator",
                    scales=[8, 16, 32],
                    ratios=[0.5, 1.0, 2.0],
                    strides=[4, 8, 16, 32, 64],
                ),
            )
        )
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        if train_cfg is not None:
            if "assigner" not in train_cfg:
                raise KeyError(f"{type(self).__name__}: train_cfg needs an 'assigner'")
            self.assigner = TASK_UTILS.build(train_cfg["assigner"])
            self.sampler = TASK_UTILS.build(
                train_cfg.get("sampler", None) or dict(type="PseudoSampler")
            )
        self.num_base_priors = self.prior_generator.num_base_priors[0]
        self._init_layers()

    def _init_layers(self) -> None:
        """``conv_cls`` and ``conv_reg``: 1x1 convs on the input."""
        self.conv_cls = nn.Conv2d(self.in_channels, self.num_base_priors * self.cls_out_channels, 1)
        self.conv_reg = nn.Conv2d(
            self.in_channels, self.num_base_priors * self.bbox_coder.encode_size, 1
        )

    # Forward ---------------------------------------------------------------------------------

    def forward_single(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(B, C_in, H, W) -> (B, A * C, H, W) scores, (B, A * 4, H, W) deltas."""
        return self.conv_cls(x), self.conv_reg(x)

    def forward(self, feats: tuple[Tensor, ...]) -> tuple[list[Tensor], list[Tensor]]:
        """L levels -> (L score maps, L delta maps)."""
        outs = [self.forward_single(x) for x in feats]
        return [o[0] for o in outs], [o[1] for o in outs]

    # Loss ------------------------------------------------------------------------------------

    def get_anchors(
        self, featmap_sizes: Sequence[tuple[int, int]], batch_img_metas: Sequence[dict], device
    ) -> tuple[Tensor, Tensor]:
        """(T, 4) anchors of all levels and (B, T) flags of anchors inside each image's area."""
        anchors = torch.cat(self.prior_generator.grid_priors(featmap_sizes, device=device))
        valid = torch.stack(
            [
                torch.cat(
                    self.prior_generator.valid_flags(
                        featmap_sizes, meta.get("pad_shape", meta["img_shape"]), device
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
        """``loss_cls`` and ``loss_bbox`` (sums over the levels) from the raw outputs."""
        if self.train_cfg is None:
            raise RuntimeError(f"{type(self).__name__}.loss needs train_cfg (assigner, sampler).")
        sizes = [tuple(s.shape[-2:]) for s in cls_scores]
        anchors, valid = self.get_anchors(sizes, batch_img_metas, cls_scores[0].device)
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
            pos_weight=self.train_cfg.get("pos_weight", -1),
            allowed_border=self.train_cfg.get("allowed_border", -1),
            reg_decoded_bbox=self.reg_decoded_bbox,
        )
        loss_cls, loss_bbox = anchor_losses(
            flatten_level_outputs(cls_scores, self.cls_out_channels),
            flatten_level_outputs(bbox_preds, self.bbox_coder.encode_size),
            anchors,
            targets,
            self.loss_cls,
            self.loss_bbox,
            self.bbox_coder,
            self.reg_decoded_bbox,
        )
        return dict(loss_cls=loss_cls, loss_bbox=loss_bbox)

    def loss(self, feats: tuple[Tensor, ...], batch_data_samples: SampleList) -> dict:
        """Losses of a batch; ground truth from ``gt_instances`` (``ignored_instances`` ignored)."""
        gts, ignores, metas = unpack_gt_instances(batch_data_samples)
        return self.loss_by_feat(*self(feats), gts, metas, ignores)

    # Predict ---------------------------------------------------------------------------------

    def predict(
        self, feats: tuple[Tensor, ...], batch_data_samples: SampleList, rescale: bool = False
    ) -> list[InstanceData]:
        """Detections of every image: ``bboxes`` (k, 4), ``scores`` (k,), ``labels`` (k,)."""
        metas = [s.metainfo for s in batch_data_samples]
        return self.predict_by_feat(*self(feats), batch_img_metas=metas, rescale=rescale)

    @torch.no_grad()
    def predict_by_feat(
        self,
        cls_scores: list[Tensor],
        bbox_preds: list[Tensor],
        batch_img_metas: list[dict],
        cfg: dict | None = None,
        rescale: bool = False,
    ) -> list[InstanceData]:
        """Top-k per level, decoding and class-wise NMS (see :func:`dense_predict`)."""
        cfg = ConfigDict(copy.deepcopy(cfg if cfg is not None else self.test_cfg or {}))
        sizes = [tuple(s.shape[-2:]) for s in cls_scores]
        priors = self.prior_generator.grid_priors(
            sizes, dtype=bbox_preds[0].dtype, device=bbox_preds[0].device
        )
        return dense_predict(
            cls_scores,
            bbox_preds,
            priors,
            self.bbox_coder.decode,
            batch_img_metas,
            cfg,
            use_sigmoid=self.use_sigmoid_cls,
            rescale=rescale,
            clip_border=getattr(self.bbox_coder, "clip_border", True),
            exact_ties=not self.deploy,
        )
