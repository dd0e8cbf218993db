"""Pixel samplers of the decode heads: ``OHEMPixelSampler`` (online hard example mining).

Shrivastava et al., "Training Region-based Object Detectors with Online Hard Example Mining",
https://arxiv.org/abs/1604.03540, applied to pixels.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..registry import TASK_UTILS

__all__ = ["OHEMPixelSampler", "build_pixel_sampler"]


@TASK_UTILS.register_module()
class OHEMPixelSampler:
    """Keep the hardest pixels of a batch: weight 1 for kept pixels, 0 for the others.

    Args:
        context: The decode head (gives ``ignore_index`` and ``loss_decode``).
        thresh: Keep pixels whose probability of their true class is below ``thresh`` (at least
            ``min_kept`` of them); ``None`` keeps the ``min_kept`` pixels with the largest loss.
        min_kept: Pixels kept per image at least.
    """

    def __init__(self, context: Any, thresh: float | None = None, min_kept: int = 100000) -> None:
        if min_kept <= 1:
            raise ValueError(f"OHEMPixelSampler: min_kept must be > 1, got {min_kept}.")
        self.context = context
        self.thresh = thresh
        self.min_kept = min_kept

    @torch.no_grad()
    def sample(self, seg_logit: Tensor, seg_label: Tensor) -> Tensor:
        """Weights of the pixels.

        Args:
            seg_logit: (N, C, H, W) logits.
            seg_label: (N, 1, H, W) labels.

        Returns:
            (N, H, W) float weights in {0, 1}.
        """
        if seg_logit.shape[2:] != seg_label.shape[2:] or seg_label.shape[1] != 1:
            raise ValueError(
                f"OHEMPixelSampler expects (N, C, H, W) logits and (N, 1, H, W) labels, got "
                f"{tuple(seg_logit.shape)} and {tuple(seg_label.shape)}."
            )
        label = seg_label.squeeze(1).long()
        ignore_index = self.context.ignore_index
        batch_kept = self.min_kept * label.size(0)
        valid = label != ignore_index
        weight = seg_logit.new_zeros(label.shape)
        valid_weight = weight[valid]
        if self.thresh is not None:
            prob = F.softmax(seg_logit, dim=1)
            index = torch.where(valid, label, torch.zeros_like(label)).unsqueeze(1)
            prob = prob.gather(1, index).squeeze(1)[valid]
            sort_prob, _ = prob.sort()
            floor = sort_prob[min(batch_kept, sort_prob.numel() - 1)] if sort_prob.numel() else 0.0
            threshold = max(float(floor), self.thresh)
            valid_weight[prob < threshold] = 1.0
        else:
            losses_decode = self.context.loss_decode
            if not isinstance(losses_decode, nn.ModuleList):
                losses_decode = [losses_decode]
            losses = 0.0
            for loss_module in losses_decode:
                losses = losses + loss_module(
                    seg_logit,
                    label,
                    weight=None,
                    ignore_index=ignore_index,
                    reduction_override="none",
                )
            _, order = losses[valid].sort(descending=True)
            valid_weight[order[:batch_kept]] = 1.0
        weight[valid] = valid_weight
        return weight


def build_pixel_sampler(cfg: dict, context: Any) -> Any:
    """Build a pixel sampler from ``TASK_UTILS`` with the decode head as its ``context``."""
    return TASK_UTILS.build(cfg, default_args=dict(context=context))
