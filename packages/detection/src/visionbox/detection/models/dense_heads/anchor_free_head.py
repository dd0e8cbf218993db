"""``AnchorFreeHead``: the base of point-based dense heads (FCOS, ...), with mmdet 3.x's
arguments, defaults and ``state_dict`` keys (``cls_convs.i.conv``, ``reg_convs.i.conv``,
``conv_cls``, ``conv_reg``), and ``Scale``, the learnable scalar of mmcv.

Shape shorthand: B images; L levels of (H_l, W_l); C classification channels; T points of all
levels (one per location).
"""

from __future__ import annotations

import copy
from abc import abstractmethod
from collections.abc import Sequence
from typing import Literal

import torch
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor, nn

from visionbox.core.models import BaseHead, ConvModule

from ...registry import TASK_UTILS
from ...structures import SampleList
from ..builder import build_module
from .dense_predict import dense_predict
from .rpn_head import unpack_gt_instances

__all__ = ["AnchorFreeHead", "Scale"]


class Scale(nn.Module):
    """Multiply the input by a learnable scalar (``scale``, mmcv's key).

    Args:
        scale: Initial value.
    """

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(scale, dtype=torch.float))

    def forward(self, x: Tensor) -> Tensor:
        return x * self.scale


class AnchorFreeHead(BaseHead):
    """Classification and regression towers of 3x3 convs, then 3x3 predictors per location.

    Subclasses implement :meth:`loss_by_feat` (targets depend on the method).

    Args:
        num_classes: Foreground classes.
        in_channels: Channels of every input level.
        feat_channels: Channels of the towers.
        stacked_convs: Convs per tower.
        strides: Stride of each level (a number or ``(w, h)``).
        dcn_on_last_conv: The last conv of each tower is a modulated deformable conv (``DCNv2``,
            on ``torchvision.ops.deform_conv2d``).
        conv_bias: Bias of the tower convs; ``'auto'``: only without a norm layer.
        loss_cls: Classification loss config (sigmoid focal loss by default).
        loss_bbox: Box loss config (IoU loss by default).
        bbox_coder: Box coder config (``DistancePointBBoxCoder`` by default).
        conv_cfg: Conv layer config of the towers.
        norm_cfg: Norm layer config of the towers.
        train_cfg: Training settings (method-specific).
        test_cfg: ``nms_pre``, ``score_thr``, ``nms``, ``max_per_img``, ``min_bbox_size``.
        init_cfg: Normal(std 0.01) on the convs; ``conv_cls``' bias set for a 0.01 prior.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        feat_channels: int = 256,
        stacked_convs: int = 4,
        strides: Sequence[int | Sequence[int]] = (4, 8, 16, 32, 64),
        dcn_on_last_conv: bool = False,
        conv_bias: bool | Literal["auto"] = "auto",
        loss_cls: dict | nn.Module | None = None,
        loss_bbox: dict | nn.Module | None = None,
        bbox_coder: dict | None = None,
        conv_cfg: dict | None = None,
        norm_cfg: dict | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        if init_cfg is None:
            init_cfg = dict(
                type="Normal",
                layer="Conv2d",
                std=0.01,
                override=dict(type="Normal", name="conv_cls", std=0.01, bias_prob=0.01),
            )
        super().__init__(init_cfg=init_cfg)
        if conv_bias != "auto" and not isinstance(conv_bias, bool):
            raise ValueError(f"conv_bias must be 'auto' or a bool, got {conv_bias!r}")
        self.num_classes = num_classes
        self.loss_cls = build_module(
            loss_cls
            or dict(type="FocalLoss", use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0)
        )
        self.loss_bbox = build_module(loss_bbox or dict(type="IoULoss", loss_weight=1.0))
        self.use_sigmoid_cls = bool(getattr(self.loss_cls, "use_sigmoid", False))
        self.cls_out_channels = num_classes if self.use_sigmoid_cls else num_classes + 1
        if self.cls_out_channels <= 0:
            raise ValueError(f"num_classes={num_classes} is too small")
        self.in_channels = in_channels
        self.feat_channels = feat_channels
        self.stacked_convs = stacked_convs
        self.strides = strides
        self.dcn_on_last_conv = dcn_on_last_conv
        self.conv_bias = conv_bias
        self.bbox_coder = TASK_UTILS.build(bbox_coder or dict(type="DistancePointBBoxCoder"))
        self.prior_generator = TASK_UTILS.build(dict(type="MlvlPointGenerator", strides=strides))
        self.num_base_priors = self.prior_generator.num_base_priors[0]
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self._init_layers()

    def _tower(self) -> nn.ModuleList:
        convs = nn.ModuleList()
        for i in range(self.stacked_convs):
            last = self.dcn_on_last_conv and i == self.stacked_convs - 1
            convs.append(
                ConvModule(
                    self.in_channels if i == 0 else self.feat_channels,
                    self.feat_channels,
                    3,
                    stride=1,
                    padding=1,
                    conv_cfg=dict(type="DCNv2") if last else self.conv_cfg,
                    norm_cfg=self.norm_cfg,
                    bias=self.conv_bias,
                )
            )
        return convs

    def _init_layers(self) -> None:
        """``cls_convs``, ``reg_convs``, ``conv_cls`` and ``conv_reg``."""
        self.cls_convs = self._tower()
        self.reg_convs = self._tower()
        self.conv_cls = nn.Conv2d(self.feat_channels, self.cls_out_channels, 3, padding=1)
        self.conv_reg = nn.Conv2d(self.feat_channels, 4, 3, padding=1)

    # Forward ---------------------------------------------------------------------------------

    def forward_single(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(B, C_in, H, W) -> scores (B, C, H, W), box outputs (B, 4, H, W), and the two
        towers' features (B, feat_channels, H, W)."""
        cls_feat, reg_feat = x, x
        for conv in self.cls_convs:
            cls_feat = conv(cls_feat)
        for conv in self.reg_convs:
            reg_feat = conv(reg_feat)
        return self.conv_cls(cls_feat), self.conv_reg(reg_feat), cls_feat, reg_feat

    def forward(self, feats: tuple[Tensor, ...]) -> tuple[list[Tensor], list[Tensor]]:
        """L levels -> (L score maps, L box maps)."""
        outs = [self.forward_single(x) for x in feats]
        return [o[0] for o in outs], [o[1] for o in outs]

    # Loss ------------------------------------------------------------------------------------

    @abstractmethod
    def loss_by_feat(self, *outputs, **kwargs) -> dict[str, Tensor]:
        """Losses from the raw outputs, the ground truth and the image metas."""

    def loss(self, feats: tuple[Tensor, ...], batch_data_samples: SampleList) -> dict:
        """Losses of a batch with ground truth in ``gt_instances``."""
        gts, ignores, metas = unpack_gt_instances(batch_data_samples)
        return self.loss_by_feat(*self(feats), gts, metas, ignores)

    # Predict ---------------------------------------------------------------------------------

    def predict(
        self, feats: tuple[Tensor, ...], batch_data_samples: SampleList, rescale: bool = False
    ) -> list[InstanceData]:
        """Detections of every image: ``bboxes`` (k, 4), ``scores`` (k,), ``labels`` (k,)."""
        metas = [s.metainfo for s in batch_data_samples]
        outs = self(feats)
        score_factors = outs[2] if len(outs) > 2 else None
        return self.predict_by_feat(
            outs[0], outs[1], score_factors, batch_img_metas=metas, rescale=rescale
        )

    @torch.no_grad()
    def predict_by_feat(
        self,
        cls_scores: list[Tensor],
        bbox_preds: list[Tensor],
        score_factors: list[Tensor] | None = None,
        batch_img_metas: list[dict] | None = None,
        cfg: dict | None = None,
        rescale: bool = False,
    ) -> list[InstanceData]:
        """Top-k per level, decoding, score factors and class-wise NMS (:func:`dense_predict`)."""
        if batch_img_metas is None:
            raise ValueError("predict_by_feat needs batch_img_metas (img_shape of each image)")
        cfg = ConfigDict(copy.deepcopy(cfg if cfg is not None else self.test_cfg or {}))
        sizes = [tuple(s.shape[-2:]) for s in cls_scores]
        points = self.prior_generator.grid_priors(
            sizes, dtype=bbox_preds[0].dtype, device=bbox_preds[0].device
        )
        return dense_predict(
            cls_scores,
            bbox_preds,
            points,
            self.bbox_coder.decode,
            batch_img_metas,
            cfg,
            use_sigmoid=self.use_sigmoid_cls,
            score_factors=score_factors,
            rescale=rescale,
            clip_border=getattr(self.bbox_coder, "clip_border", True),
            exact_ties=not self.deploy,
        )
