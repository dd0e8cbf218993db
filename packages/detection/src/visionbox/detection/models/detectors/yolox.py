"""``YOLOX`` (Ge et al., 2021, https://arxiv.org/abs/2107.08430): CSPDarknet, YOLOXPAFPN and
YOLOXHead as a :class:`SingleStageDetector` under mmdet 3.x's name and arguments.

The training recipe lives outside the model: Mosaic / RandomAffine / MixUp / YOLOXHSVRandomAug in
the pipeline (``MultiImageMixDataset``), multi-scale batches by ``BatchSyncRandomResize``, and the
``YOLOXModeSwitchHook`` / ``SyncNormHook`` / ``EMAHook(ema_type='ExpMomentumEMA')`` hooks.
"""

from __future__ import annotations

from torch import nn

from ...registry import MODELS
from .single_stage import SingleStageDetector

__all__ = ["YOLOX"]


@MODELS.register_module()
class YOLOX(SingleStageDetector):
    """YOLOX; arguments as :class:`SingleStageDetector` (``neck`` and ``bbox_head`` required)."""

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
