"""``FasterRCNN`` (Ren et al., 2015, https://arxiv.org/abs/1506.01497) and ``MaskRCNN``
(He et al., 2017, https://arxiv.org/abs/1703.06870): :class:`TwoStageDetector` under their names.
"""

from __future__ import annotations

from torch import nn

from ...registry import MODELS
from .two_stage import TwoStageDetector

__all__ = ["FasterRCNN", "MaskRCNN"]


@MODELS.register_module()
class FasterRCNN(TwoStageDetector):
    """Faster R-CNN; arguments as :class:`TwoStageDetector` (``rpn_head`` and ``roi_head``
    required)."""

    def __init__(
        self,
        backbone: dict | nn.Module,
        rpn_head: dict | nn.Module,
        roi_head: dict | nn.Module,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        neck: dict | nn.Module | None = None,
        data_preprocessor: dict | nn.Module | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            rpn_head=rpn_head,
            roi_head=roi_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )


@MODELS.register_module()
class MaskRCNN(TwoStageDetector):
    """Mask R-CNN; arguments as :class:`TwoStageDetector` (the RoI head needs a mask head)."""

    def __init__(
        self,
        backbone: dict | nn.Module,
        rpn_head: dict | nn.Module,
        roi_head: dict | nn.Module,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        neck: dict | nn.Module | None = None,
        data_preprocessor: dict | nn.Module | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            rpn_head=rpn_head,
            roi_head=roi_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        if not getattr(self.roi_head, "with_mask", False):
            raise ValueError("MaskRCNN needs roi_head.mask_head (and mask_roi_extractor)")
