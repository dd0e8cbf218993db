"""``DeltaXYWHBBoxCoder``: boxes <-> normalised (dx, dy, dw, dh) deltas (R-CNN parametrisation).

For a prior (px, py, pw, ph) and a target (gx, gy, gw, gh) (centres and sizes):
``dx = (gx - px) / pw``, ``dy = (gy - py) / ph``, ``dw = log(gw / pw)``, ``dh = log(gh / ph)``,
then ``(d - target_means) / target_stds``. Widths are ``x2 - x1`` (mmdet 2.x+ convention).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from ....registry import TASK_UTILS

__all__ = ["DeltaXYWHBBoxCoder"]


@TASK_UTILS.register_module()
class DeltaXYWHBBoxCoder:
    """Encode boxes as deltas from priors and decode them back.

    Args:
        target_means: Means subtracted from the deltas.
        target_stds: Stds dividing the deltas.
        clip_border: Clip decoded boxes to ``max_shape``.
        add_ctr_clamp: Clamp the centre shift to ``ctr_clamp`` pixels when decoding.
        ctr_clamp: See ``add_ctr_clamp``.
        use_box_type: Kept for mmdet configs; only ``False`` is supported.
    """

    encode_size = 4

    def __init__(
        self,
        target_means: Sequence[float] = (0.0, 0.0, 0.0, 0.0),
        target_stds: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
        clip_border: bool = True,
        add_ctr_clamp: bool = False,
        ctr_clamp: int = 32,
        use_box_type: bool = False,
    ) -> None:
        if len(target_means) != 4 or len(target_stds) != 4:
            raise ValueError("target_means and target_stds need 4 values each")
        if use_box_type:
            raise ValueError("DeltaXYWHBBoxCoder(use_box_type=True) is not supported; use False.")
        self.means = tuple(float(m) for m in target_means)
        self.stds = tuple(float(s) for s in target_stds)
        self.clip_border = clip_border
        self.add_ctr_clamp = add_ctr_clamp
        self.ctr_clamp = ctr_clamp
        self.use_box_type = use_box_type

    def encode(self, bboxes: Tensor, gt_bboxes: Tensor) -> Tensor:
        """Deltas that turn ``bboxes`` into ``gt_bboxes``.

        Args:
            bboxes: (N, 4) priors, x1y1x2y2.
            gt_bboxes: (N, 4) targets, x1y1x2y2.

        Returns:
            (N, 4) normalised deltas.
        """
        if bboxes.size(0) != gt_bboxes.size(0) or bboxes.size(-1) != 4 or gt_bboxes.size(-1) != 4:
            raise ValueError(
                f"encode needs two (N, 4) tensors, got {tuple(bboxes.shape)} and "
                f"{tuple(gt_bboxes.shape)}"
            )
        bboxes, gt_bboxes = bboxes.float(), gt_bboxes.float()
        pxy = (bboxes[:, :2] + bboxes[:, 2:]) * 0.5
        pwh = bboxes[:, 2:] - bboxes[:, :2]
        gxy = (gt_bboxes[:, :2] + gt_bboxes[:, 2:]) * 0.5
        gwh = gt_bboxes[:, 2:] - gt_bboxes[:, :2]
        deltas = torch.cat([(gxy - pxy) / pwh, torch.log(gwh / pwh)], dim=-1)
        return (deltas - deltas.new_tensor(self.means)) / deltas.new_tensor(self.stds)

    def decode(
        self,
        bboxes: Tensor,
        pred_bboxes: Tensor,
        max_shape: Sequence[int] | None = None,
        wh_ratio_clip: float = 16 / 1000,
    ) -> Tensor:
        """Apply deltas to priors.

        Args:
            bboxes: (N, 4) or (B, N, 4) priors.
            pred_bboxes: (N, 4 * K) or (B, N, 4 * K) deltas (K boxes per prior, e.g. per class).
            max_shape: (h, w) to clip to when ``clip_border``.
            wh_ratio_clip: Largest |dw|, |dh| is ``|log(wh_ratio_clip)|``.

        Returns:
            Boxes of ``pred_bboxes``' shape.
        """
        if pred_bboxes.size(-1) % 4 or pred_bboxes.shape[:-1] != bboxes.shape[:-1]:
            raise ValueError(
                f"decode needs priors (..., 4) and deltas (..., 4k) over the same leading dims; "
                f"got {tuple(bboxes.shape)} and {tuple(pred_bboxes.shape)}"
            )
        shape = pred_bboxes.shape
        deltas = pred_bboxes.reshape(*shape[:-1], -1, 4)
        deltas = deltas * deltas.new_tensor(self.stds) + deltas.new_tensor(self.means)
        priors = bboxes[..., None, :].to(deltas.dtype)
        pxy = (priors[..., :2] + priors[..., 2:]) * 0.5
        pwh = priors[..., 2:] - priors[..., :2]
        dxy_wh = pwh * deltas[..., :2]
        max_ratio = abs(math.log(wh_ratio_clip))
        if self.add_ctr_clamp:
            dxy_wh = dxy_wh.clamp(min=-self.ctr_clamp, max=self.ctr_clamp)
            dwh = deltas[..., 2:].clamp(max=max_ratio)
        else:
            dwh = deltas[..., 2:].clamp(min=-max_ratio, max=max_ratio)
        gxy = pxy + dxy_wh
        gwh = pwh * dwh.exp()
        out = torch.cat([gxy - gwh * 0.5, gxy + gwh * 0.5], dim=-1)
        if self.clip_border and max_shape is not None:
            h, w = float(max_shape[0]), float(max_shape[1])
            out = torch.stack(
                [
                    out[..., 0].clamp(0, w),
                    out[..., 1].clamp(0, h),
                    out[..., 2].clamp(0, w),
                    out[..., 3].clamp(0, h),
                ],
                dim=-1,
            )
        return out.reshape(shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(target_means={self.means}, target_stds={self.stds})"
