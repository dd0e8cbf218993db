"""``DoubleHeadRoIHead``: Double-Head R-CNN's RoI head (https://arxiv.org/abs/1904.06493).

The regression branch pools RoIs enlarged by ``reg_roi_scale_factor`` about their centres; the
classification branch pools the RoIs as they are.
"""

from __future__ import annotations

from torch import Tensor, nn

from ...registry import MODELS
from .standard_roi_head import StandardRoIHead

__all__ = ["DoubleHeadRoIHead"]


@MODELS.register_module()
class DoubleHeadRoIHead(StandardRoIHead):
    """:class:`StandardRoIHead` with separately pooled cls and reg features.

    Args:
        reg_roi_scale_factor: Enlargement of the regression branch's RoIs (1.3 in the paper).
        Others: as :class:`StandardRoIHead`.
    """

    def __init__(
        self,
        reg_roi_scale_factor: float,
        bbox_roi_extractor: dict | nn.Module | None = None,
        bbox_head: dict | nn.Module | None = None,
        mask_roi_extractor: dict | nn.Module | None = None,
        mask_head: dict | nn.Module | None = None,
        shared_head: dict | nn.Module | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(
            bbox_roi_extractor=bbox_roi_extractor,
            bbox_head=bbox_head,
            mask_roi_extractor=mask_roi_extractor,
            mask_head=mask_head,
            shared_head=shared_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            init_cfg=init_cfg,
        )
        self.reg_roi_scale_factor = reg_roi_scale_factor

    def _bbox_forward(self, x: tuple[Tensor, ...], rois: Tensor) -> dict[str, Tensor]:
        feats = x[: self.bbox_roi_extractor.num_inputs]
        cls_feats = self.bbox_roi_extractor(feats, rois)
        reg_feats = self.bbox_roi_extractor(feats, rois, roi_scale_factor=self.reg_roi_scale_factor)
        if self.with_shared_head:
            cls_feats = self.shared_head(cls_feats)
            reg_feats = self.shared_head(reg_feats)
        cls_score, bbox_pred = self.bbox_head(cls_feats, reg_feats)
        return dict(cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=cls_feats)
