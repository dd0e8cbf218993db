"""``DistancePointBBoxCoder``: boxes <-> distances ``(left, top, right, bottom)`` from points to
the four box sides (FCOS, https://arxiv.org/abs/1904.01355)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ....registry import TASK_UTILS

__all__ = ["DistancePointBBoxCoder"]


@TASK_UTILS.register_module()
class DistancePointBBoxCoder:
    """Encode boxes as point-to-side distances and decode them back.

    Args:
        clip_border: Clip decoded boxes to ``max_shape``.
        use_box_type: Kept for mmdet configs; only ``False`` is supported.
    """

    encode_size = 4

    def __init__(self, clip_border: bool = True, use_box_type: bool = False) -> None:
        if use_box_type:
            raise ValueError(
                "DistancePointBBoxCoder(use_box_type=True) is not supported; use False."
            )
        self.clip_border = clip_border
        self.use_box_type = use_box_type

    def encode(
        self, points: Tensor, gt_bboxes: Tensor, max_dis: float | None = None, eps: float = 0.1
    ) -> Tensor:
        """Distances of ``points`` to the sides of ``gt_bboxes``.

        Args:
            points: (..., 2) ``(x, y)``.
            gt_bboxes: (..., 4) x1y1x2y2 (same leading shape).
            max_dis: Clamp the distances to ``[0, max_dis - eps]`` when given.
            eps: See ``max_dis``.

        Returns:
            (..., 4) ``(left, top, right, bottom)``.
        """
        if points.size(-1) != 2 or gt_bboxes.size(-1) != 4:
            raise ValueError(
                f"points must be (..., 2) and boxes (..., 4); got {tuple(points.shape)} and "
                f"{tuple(gt_bboxes.shape)}"
            )
        dist = torch.cat([points - gt_bboxes[..., :2], gt_bboxes[..., 2:] - points], dim=-1)
        if max_dis is not None:
            dist = dist.clamp(min=0, max=max_dis - eps)
        return dist

    def decode(
        self,
        points: Tensor,
        pred_bboxes: Tensor,
        max_shape: Sequence[int] | Sequence[Sequence[int]] | Tensor | None = None,
    ) -> Tensor:
        """Boxes from points and distances.

        Args:
            points: (N, 2) or (B, N, 2).
            pred_bboxes: (N, 4) or (B, N, 4) ``(left, top, right, bottom)``.
            max_shape: ``(h, w)`` (one image) or B of them; boxes are clipped to it when
                ``clip_border``.

        Returns:
            (N, 4) or (B, N, 4) x1y1x2y2.
        """
        if points.size(-1) != 2 or pred_bboxes.size(-1) != 4:
            raise ValueError(
                f"points must be (..., 2) and distances (..., 4); got {tuple(points.shape)} and "
                f"{tuple(pred_bboxes.shape)}"
            )
        bboxes = torch.cat([points - pred_bboxes[..., :2], points + pred_bboxes[..., 2:]], dim=-1)
        if max_shape is None or not self.clip_border:
            return bboxes
        bounds = torch.as_tensor(max_shape, dtype=bboxes.dtype, device=bboxes.device)
        bounds = bounds[..., :2].flip(-1)  # (..., 2) as (w, h)
        bounds = torch.cat([bounds, bounds], dim=-1)
        if bboxes.dim() == 3 and bounds.dim() == 2:
            bounds = bounds[:, None, :]
        return torch.min(bboxes.clamp(min=0), bounds)
