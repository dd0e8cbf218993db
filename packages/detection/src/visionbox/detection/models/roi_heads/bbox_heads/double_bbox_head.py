r"""``DoubleConvFCBBoxHead``: the box head of Double-Head R-CNN (Wu et al., Rethinking
Classification and Localization for Object Detection, https://arxiv.org/abs/1904.06493)::

                                      /-> cls
                  /-> shared convs ->
                                      \-> reg
    roi features
                                      /-> cls
                  \-> shared fc    ->
                                      \-> reg

As in the paper (and mmdet), the conv branch regresses boxes and the fc branch classifies.
Keys as mmdet 3.x: ``res_block``, ``conv_branch``, ``fc_branch``, ``fc_cls``, ``fc_reg``.
Shapes: cls and reg RoI features (R, C_in, S, S) -> (R, C + 1) scores, (R, 4 * C) deltas.
"""

from __future__ import annotations

from mmengine.model import BaseModule
from torch import Tensor, nn

from visionbox.core.models import ConvModule
from visionbox.core.models.backbones.res_blocks import Bottleneck

from ....registry import MODELS
from .bbox_head import BBoxHead, _linear

__all__ = ["BasicResBlock", "DoubleConvFCBBoxHead"]


class BasicResBlock(BaseModule):
    """3x3 conv + 1x1 conv with a 1x1 projected identity: (R, C_in, S, S) -> (R, C_out, S, S)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        conv_cfg: dict | None = None,
        norm_cfg: dict | None = None,
        init_cfg: dict | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        norm_cfg = norm_cfg if norm_cfg is not None else dict(type="BN")
        self.conv1 = ConvModule(
            in_channels, in_channels, 3, padding=1, bias=False, conv_cfg=conv_cfg, norm_cfg=norm_cfg
        )
        self.conv2 = ConvModule(
            in_channels,
            out_channels,
            1,
            bias=False,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=None,
        )
        self.conv_identity = ConvModule(
            in_channels,
            out_channels,
            1,
            bias=False,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=None,
        )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.conv2(self.conv1(x)) + self.conv_identity(x))


@MODELS.register_module()
class DoubleConvFCBBoxHead(BBoxHead):
    """Conv branch for regression, fc branch for classification.

    Args:
        num_convs: Bottleneck blocks of the conv branch (after a :class:`BasicResBlock`).
        num_fcs: Fully connected layers of the fc branch.
        conv_out_channels: Channels of the conv branch.
        fc_out_channels: Width of the fc branch.
        conv_cfg / norm_cfg: Of the conv branch (BN by default).
        with_avg_pool: Average-pool the conv branch before ``fc_reg`` (True by default).
        Others: as :class:`BBoxHead`.
    """

    def __init__(
        self,
        num_convs: int = 0,
        num_fcs: int = 0,
        conv_out_channels: int = 1024,
        fc_out_channels: int = 1024,
        conv_cfg: dict | None = None,
        norm_cfg: dict | None = None,
        with_avg_pool: bool = True,
        with_cls: bool = True,
        with_reg: bool = True,
        roi_feat_size: int = 7,
        in_channels: int = 256,
        num_classes: int = 80,
        bbox_coder: dict | None = None,
        predict_box_type: str = "hbox",
        reg_class_agnostic: bool = False,
        reg_decoded_bbox: bool = False,
        reg_predictor_cfg: dict | None = None,
        cls_predictor_cfg: dict | None = None,
        loss_cls: dict | nn.Module | None = None,
        loss_bbox: dict | nn.Module | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(
            with_avg_pool=with_avg_pool,
            with_cls=with_cls,
            with_reg=with_reg,
            roi_feat_size=roi_feat_size,
            in_channels=in_channels,
            num_classes=num_classes,
            bbox_coder=bbox_coder,
            predict_box_type=predict_box_type,
            reg_class_agnostic=reg_class_agnostic,
            reg_decoded_bbox=reg_decoded_bbox,
            reg_predictor_cfg=reg_predictor_cfg,
            cls_predictor_cfg=cls_predictor_cfg,
            loss_cls=loss_cls,
            loss_bbox=loss_bbox,
            init_cfg=init_cfg
            if init_cfg is not None
            else dict(
                type="Normal",
                override=[
                    dict(type="Normal", name="fc_cls", std=0.01),
                    dict(type="Normal", name="fc_reg", std=0.001),
                    dict(type="Xavier", name="fc_branch", distribution="uniform"),
                ],
            ),
        )
        if not (with_cls and with_reg):
            raise ValueError("DoubleConvFCBBoxHead needs with_cls and with_reg")
        self.num_convs = num_convs
        self.num_fcs = num_fcs
        self.conv_out_channels = conv_out_channels
        self.fc_out_channels = fc_out_channels
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg if norm_cfg is not None else dict(type="BN")
        self.res_block = BasicResBlock(in_channels, conv_out_channels, conv_cfg, self.norm_cfg)
        self.conv_branch = nn.ModuleList(
            [
                Bottleneck(
                    inplanes=conv_out_channels,
                    planes=conv_out_channels // 4,
                    conv_cfg=conv_cfg,
                    norm_cfg=self.norm_cfg,
                )
                for _ in range(num_convs)
            ]
        )
        self.fc_branch = nn.ModuleList(
            [
                nn.Linear(
                    in_channels * self.roi_feat_area if i == 0 else fc_out_channels,
                    fc_out_channels,
                )
                for i in range(num_fcs)
            ]
        )
        self.fc_reg = _linear(self.reg_predictor_cfg, conv_out_channels, self.reg_out_dim)
        self.fc_cls = _linear(self.cls_predictor_cfg, fc_out_channels, num_classes + 1)
        self.relu = nn.ReLU()

    def forward(self, x_cls: Tensor, x_reg: Tensor) -> tuple[Tensor, Tensor]:
        """cls and reg RoI features (R, C_in, S, S) -> (R, C + 1), (R, 4 * C)."""
        x_conv = self.res_block(x_reg)
        for conv in self.conv_branch:
            x_conv = conv(x_conv)
        if self.with_avg_pool:
            x_conv = self.avg_pool(x_conv)
        bbox_pred = self.fc_reg(x_conv.flatten(1))
        x_fc = x_cls.flatten(1)
        for fc in self.fc_branch:
            x_fc = self.relu(fc(x_fc))
        return self.fc_cls(x_fc), bbox_pred
