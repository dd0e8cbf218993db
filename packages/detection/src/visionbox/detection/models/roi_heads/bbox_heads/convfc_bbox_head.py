r"""``ConvFCBBoxHead`` and its common variants ``Shared2FCBBoxHead`` (Faster R-CNN's head) and
``Shared4Conv1FCBBoxHead``, with mmdet 3.x's arguments and keys (``shared_convs``,
``shared_fcs``, ``cls_convs``, ``cls_fcs``, ``reg_convs``, ``reg_fcs``, ``fc_cls``, ``fc_reg``).

Layout::

                                /-> cls convs -> cls fcs -> fc_cls
    shared convs -> shared fcs
                                \-> reg convs -> reg fcs -> fc_reg

Shapes: (R, C_in, S, S) RoI features -> (R, C + 1) scores and (R, 4 * C) deltas.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from visionbox.core.models import ConvModule
from visionbox.core.utils import merge_kwargs_signature

from ....registry import MODELS
from .bbox_head import BBoxHead, _linear

__all__ = ["ConvFCBBoxHead", "Shared2FCBBoxHead", "Shared4Conv1FCBBoxHead"]


@MODELS.register_module()
class ConvFCBBoxHead(BBoxHead):
    """Shared and per-branch 3x3 convs and fully connected layers before the predictors.

    Args:
        num_shared_convs / num_shared_fcs: Layers shared by both branches.
        num_cls_convs / num_cls_fcs: Layers of the classification branch.
        num_reg_convs / num_reg_fcs: Layers of the regression branch.
        conv_out_channels: Channels of every conv.
        fc_out_channels: Width of every fully connected layer.
        conv_cfg / norm_cfg: Of the convs (``ConvModule``).
        Others: as :class:`BBoxHead`. ``init_cfg`` defaults to Xavier-uniform on the fcs.
    """

    def __init__(
        self,
        num_shared_convs: int = 0,
        num_shared_fcs: int = 0,
        num_cls_convs: int = 0,
        num_cls_fcs: int = 0,
        num_reg_convs: int = 0,
        num_reg_fcs: int = 0,
        conv_out_channels: int = 256,
        fc_out_channels: int = 1024,
        conv_cfg: dict | None = None,
        norm_cfg: dict | None = None,
        with_avg_pool: bool = False,
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
            init_cfg=init_cfg,
        )
        if (
            num_shared_convs
            + num_shared_fcs
            + num_cls_convs
            + num_cls_fcs
            + num_reg_convs
            + num_reg_fcs
            <= 0
        ):
            raise ValueError("ConvFCBBoxHead needs at least one conv or fc layer")
        if (num_cls_convs > 0 or num_reg_convs > 0) and num_shared_fcs != 0:
            raise ValueError("branch convs cannot follow shared fcs (num_shared_fcs must be 0)")
        if (not with_cls) and (num_cls_convs or num_cls_fcs):
            raise ValueError("cls branch layers need with_cls=True")
        if (not with_reg) and (num_reg_convs or num_reg_fcs):
            raise ValueError("reg branch layers need with_reg=True")
        self.num_shared_convs = num_shared_convs
        self.num_shared_fcs = num_shared_fcs
        self.num_cls_convs = num_cls_convs
        self.num_cls_fcs = num_cls_fcs
        self.num_reg_convs = num_reg_convs
        self.num_reg_fcs = num_reg_fcs
        self.conv_out_channels = conv_out_channels
        self.fc_out_channels = fc_out_channels
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg

        self.shared_convs, self.shared_fcs, last_dim = self._add_conv_fc_branch(
            num_shared_convs, num_shared_fcs, in_channels, is_shared=True
        )
        self.shared_out_channels = last_dim
        self.cls_convs, self.cls_fcs, self.cls_last_dim = self._add_conv_fc_branch(
            num_cls_convs, num_cls_fcs, last_dim
        )
        self.reg_convs, self.reg_fcs, self.reg_last_dim = self._add_conv_fc_branch(
            num_reg_convs, num_reg_fcs, last_dim
        )
        if num_shared_fcs == 0 and not with_avg_pool:
            if num_cls_fcs == 0:
                self.cls_last_dim *= self.roi_feat_area
            if num_reg_fcs == 0:
                self.reg_last_dim *= self.roi_feat_area
        self.relu = nn.ReLU(inplace=True)
        if with_cls:
            self.fc_cls = _linear(self.cls_predictor_cfg, self.cls_last_dim, num_classes + 1)
        if with_reg:
            self.fc_reg = _linear(self.reg_predictor_cfg, self.reg_last_dim, self.reg_out_dim)
        if init_cfg is None:
            self.init_cfg += [
                dict(
                    type="Xavier",
                    distribution="uniform",
                    override=[dict(name="shared_fcs"), dict(name="cls_fcs"), dict(name="reg_fcs")],
                )
            ]

    def _add_conv_fc_branch(
        self, num_convs: int, num_fcs: int, in_channels: int, is_shared: bool = False
    ) -> tuple[nn.ModuleList, nn.ModuleList, int]:
        last_dim = in_channels
        convs = nn.ModuleList()
        for i in range(num_convs):
            convs.append(
                ConvModule(
                    last_dim if i == 0 else self.conv_out_channels,
                    self.conv_out_channels,
                    3,
                    padding=1,
                    conv_cfg=self.conv_cfg,
                    norm_cfg=self.norm_cfg,
                )
            )
        if num_convs > 0:
            last_dim = self.conv_out_channels
        fcs = nn.ModuleList()
        if num_fcs > 0:
            if (is_shared or self.num_shared_fcs == 0) and not self.with_avg_pool:
                last_dim *= self.roi_feat_area
            for i in range(num_fcs):
                fcs.append(
                    nn.Linear(last_dim if i == 0 else self.fc_out_channels, self.fc_out_channels)
                )
            last_dim = self.fc_out_channels
        return convs, fcs, last_dim

    def _branch(self, x: Tensor, convs: nn.ModuleList, fcs: nn.ModuleList) -> Tensor:
        for conv in convs:
            x = conv(x)
        if x.dim() > 2:
            if self.with_avg_pool:
                x = self.avg_pool(x)
            x = x.flatten(1)
        for fc in fcs:
            x = self.relu(fc(x))
        return x

    def forward(self, x: Tensor) -> tuple[Tensor | None, Tensor | None]:
        """(R, C_in, S, S) -> cls (R, C + 1), deltas (R, 4 or 4 * C)."""
        for conv in self.shared_convs:
            x = conv(x)
        if self.num_shared_fcs > 0:
            if self.with_avg_pool:
                x = self.avg_pool(x)
            x = x.flatten(1)
            for fc in self.shared_fcs:
                x = self.relu(fc(x))
        x_cls = self._branch(x, self.cls_convs, self.cls_fcs)
        x_reg = self._branch(x, self.reg_convs, self.reg_fcs)
        cls_score = self.fc_cls(x_cls) if self.with_cls else None
        bbox_pred = self.fc_reg(x_reg) if self.with_reg else None
        return cls_score, bbox_pred


@MODELS.register_module()
@merge_kwargs_signature
class Shared2FCBBoxHead(ConvFCBBoxHead):
    """Two shared fully connected layers (Faster R-CNN with FPN).

    Arguments as :class:`ConvFCBBoxHead` with other defaults.
    """

    def __init__(self, num_shared_fcs: int = 2, **kwargs: Any) -> None:
        super().__init__(num_shared_fcs=num_shared_fcs, **kwargs)


@MODELS.register_module()
@merge_kwargs_signature
class Shared4Conv1FCBBoxHead(ConvFCBBoxHead):
    """Four shared 3x3 convs and one shared fully connected layer.

    Arguments as :class:`ConvFCBBoxHead` with other defaults.
    """

    def __init__(self, num_shared_convs: int = 4, num_shared_fcs: int = 1, **kwargs: Any) -> None:
        super().__init__(num_shared_convs=num_shared_convs, num_shared_fcs=num_shared_fcs, **kwargs)
