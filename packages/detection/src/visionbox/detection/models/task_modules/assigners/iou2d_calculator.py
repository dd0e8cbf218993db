"""``BboxOverlaps2D``: the IoU calculator that assigners are configured with."""

from __future__ import annotations

from typing import Literal

from torch import Tensor

from ....registry import TASK_UTILS
from ....structures import bbox_overlaps

__all__ = ["BboxOverlaps2D"]


@TASK_UTILS.register_module()
class BboxOverlaps2D:
    """IoU / IoF / GIoU of 2D boxes (extra columns such as scores are dropped).

    Args:
        scale: Kept for mmdet configs (fp16 scaling); only 1.0 is supported.
        dtype: Kept for mmdet configs; only ``None`` is supported.
    """

    def __init__(self, scale: float = 1.0, dtype: str | None = None) -> None:
        if scale != 1.0 or dtype is not None:
            raise ValueError("BboxOverlaps2D supports only scale=1.0 and dtype=None")
        self.scale = scale
        self.dtype = dtype

    def __call__(
        self,
        bboxes1: Tensor,
        bboxes2: Tensor,
        mode: Literal["iou", "iof", "giou"] = "iou",
        is_aligned: bool = False,
    ) -> Tensor:
        """(M, 4+) and (N, 4+) boxes -> (M, N) overlaps."""
        return bbox_overlaps(bboxes1[..., :4], bboxes2[..., :4], mode, is_aligned)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
