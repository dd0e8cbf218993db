"""``FCOS`` (Tian et al., 2019, https://arxiv.org/abs/1904.01355): a
:class:`SingleStageDetector` with an ``FCOSHead`` (per-point boxes and centerness)."""

from __future__ import annotations

from torch import nn

from ...registry import MODELS
from .single_stage import SingleStageDetector

__all__ = ["FCOS"]


@MODELS.register_module()
class FCOS(SingleStageDetector):
    """FCOS; arguments as :class:`SingleStageDetector` (``neck`` and ``bbox_head``
    required)."""

    def __init__(
        self,
        backbone: dict | nn.Module,
        neck: dict | nn.Module,
        bbox_head: dict | nn.Module,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        data_preprocessor: dict | nn.Module | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            bbox_head=bbox_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
