"""``RTMDet`` (Lyu et al., 2022, https://arxiv.org/abs/2212.07784): CSPNeXt, CSPNeXtPAFPN and an
RTMDet head as a :class:`SingleStageDetector` under mmdet 3.x's name and arguments.

The training recipe lives outside the model: CachedMosaic / RandomResize / RandomCrop /
YOLOXHSVRandomAug / CachedMixUp in the pipeline, then ``PipelineSwitchHook`` to a lighter
pipeline and ``EMAHook(ema_type='ExpMomentumEMA')``.
"""

from __future__ import annotations

from mmengine.dist import get_world_size
from torch import nn

from ...registry import MODELS
from .single_stage import SingleStageDetector

__all__ = ["RTMDet"]


@MODELS.register_module()
class RTMDet(SingleStageDetector):
    """RTMDet; arguments as :class:`SingleStageDetector` (``neck`` and ``bbox_head`` required).

    Args:
        use_syncbn: Convert BatchNorm layers to ``SyncBatchNorm`` when training on several
            processes (as mmdet does).
    """

    def __init__(
        self,
        backbone: dict | nn.Module,
        neck: dict | nn.Module,
        bbox_head: dict | nn.Module,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        data_preprocessor: dict | nn.Module | None = None,
        init_cfg: dict | list[dict] | None = None,
        use_syncbn: bool = True,
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
        if use_syncbn and get_world_size() > 1:
            nn.SyncBatchNorm.convert_sync_batchnorm(self)
