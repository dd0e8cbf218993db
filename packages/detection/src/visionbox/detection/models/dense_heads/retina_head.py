"""``RetinaHead``: the head of RetinaNet (Lin et al., "Focal Loss for Dense Object Detection",
https://arxiv.org/abs/1708.02002), with mmdet 3.x's arguments, defaults and ``state_dict`` keys
(``cls_convs.i.conv``, ``reg_convs.i.conv``, ``retina_cls``, ``retina_reg``).

Shape shorthand: B images; A anchors per location (9: 3 scales x 3 ratios); C classes.
"""

from __future__ import annotations

from torch import Tensor, nn

from visionbox.core.models import ConvModule

from ...registry import MODELS
from .anchor_head import AnchorHead, _default

__all__ = ["RetinaHead"]


@MODELS.register_module()
class RetinaHead(AnchorHead):
    """Two towers of ``stacked_convs`` 3x3 convs (classification, box regression) shared by
    all levels, then 3x3 predictors of A * C scores and A * 4 deltas per location.

    Args:
        num_classes: Foreground classes.
        in_channels: Channels of every input level.
        stacked_convs: Convs per tower (>= 0).
        conv_cfg: Conv layer config of the towers.
        norm_cfg: Norm layer config of the towers (none by default).
        feat_channels: Channels of the towers.
        anchor_generator: Anchor generator config (3 octave scales of 4 x stride, 3 ratios,
            strides 8-128 by default).
        bbox_coder: Box coder config.
        reg_decoded_bbox: Regress absolute boxes (IoU losses).
        loss_cls: Classification loss config (``FocalLoss`` in RetinaNet's configs).
        loss_bbox: Box loss config.
        train_cfg: ``assigner``, ``sampler``, ``allowed_border``, ``pos_weight``.
        test_cfg: ``nms_pre``, ``score_thr``, ``nms``, ``max_per_img``, ``min_bbox_size``.
        init_cfg: Normal(std 0.01) on the convs; ``retina_cls``' bias set for a 0.01 prior.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        stacked_convs: int = 4,
        conv_cfg: dict | None = None,
        norm_cfg: dict | None = None,
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
        if stacked_convs < 0:
            raise ValueError(f"stacked_convs must be >= 0, got {stacked_convs}")
        self.stacked_convs = stacked_convs
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        super().__init__(
            num_classes,
            in_channels,
            feat_channels=feat_channels,
            anchor_generator=_default(
                anchor_generator,
                dict(
                    type="AnchorGenerator",
                    octave_base_scale=4,
                    scales_per_octave=3,
                    ratios=[0.5, 1.0, 2.0],
                    strides=[8, 16, 32, 64, 128],
                ),
            ),
            bbox_coder=bbox_coder,
            reg_decoded_bbox=reg_decoded_bbox,
            loss_cls=loss_cls,
            loss_bbox=loss_bbox,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            init_cfg=_default(
                init_cfg,
                dict(
                    type="Normal",
                    layer="Conv2d",
                    std=0.01,
                    override=dict(type="Normal", name="retina_cls", std=0.01, bias_prob=0.01),
                ),
            ),
        )

    def _init_layers(self) -> None:
        self.relu = nn.ReLU(inplace=True)
        self.cls_convs = nn.ModuleList()
        self.reg_convs = nn.ModuleList()
        channels = self.in_channels
        for _ in range(self.stacked_convs):
            for tower in (self.cls_convs, self.reg_convs):
                tower.append(
                    ConvModule(
                        channels,
                        self.feat_channels,
                        3,
                        stride=1,
                        padding=1,
                        conv_cfg=self.conv_cfg,
                        norm_cfg=self.norm_cfg,
                    )
                )
            channels = self.feat_channels
        self.retina_cls = nn.Conv2d(
            channels, self.num_base_priors * self.cls_out_channels, 3, padding=1
        )
        self.retina_reg = nn.Conv2d(
            channels, self.num_base_priors * self.bbox_coder.encode_size, 3, padding=1
        )

    def forward_single(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(B, C_in, H, W) -> (B, A * C, H, W) scores, (B, A * 4, H, W) deltas."""
        cls_feat, reg_feat = x, x
        for conv in self.cls_convs:
            cls_feat = conv(cls_feat)
        for conv in self.reg_convs:
            reg_feat = conv(reg_feat)
        return self.retina_cls(cls_feat), self.retina_reg(reg_feat)
