"""Heatmap losses: ``KeypointMSELoss`` and ``KeypointOHKMMSELoss`` (online hard keypoint mining,
Chen et al., "Cascaded Pyramid Network", CVPR 2018).

Shape shorthand: N samples, K keypoints, H x W heatmaps.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...registry import MODELS

__all__ = ["KeypointMSELoss", "KeypointOHKMMSELoss"]


def _weight_mask(target_weights: Tensor | None, target: Tensor) -> Tensor | None:
    """(N, K) or (N, K, H, W) weights -> a mask broadcastable to ``target``."""
    if target_weights is None:
        return None
    if target_weights.dim() == target.dim():
        return target_weights
    if target_weights.shape != target.shape[: target_weights.dim()]:
        raise ValueError(
            f"target_weights of shape {tuple(target_weights.shape)} do not match the target "
            f"{tuple(target.shape)}."
        )
    return target_weights.reshape(
        *target_weights.shape, *([1] * (target.dim() - target_weights.dim()))
    )


@MODELS.register_module()
class KeypointMSELoss(nn.Module):
    """Mean squared error between (N, K, H, W) heatmaps, optionally weighted per keypoint.

    Args:
        use_target_weight: Multiply each keypoint's error by its target weight (N, K).
        skip_empty_channel: Ignore target channels that are all zero.
        loss_weight: Factor of the loss.
    """

    def __init__(
        self,
        use_target_weight: bool = False,
        skip_empty_channel: bool = False,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        self.use_target_weight = use_target_weight
        self.skip_empty_channel = skip_empty_channel
        self.loss_weight = loss_weight

    def forward(
        self,
        output: Tensor,
        target: Tensor,
        target_weights: Tensor | None = None,
        mask: Tensor | None = None,
    ) -> Tensor:
        """Args: output/target (N, K, H, W); target_weights (N, K) or (N, K, H, W); mask
        (N, 1 or K, H, W) pixels to count."""
        if output.shape != target.shape:
            raise ValueError(
                f"KeypointMSELoss: output {tuple(output.shape)} and target "
                f"{tuple(target.shape)} differ (check the codec's heatmap_size)."
            )
        full_mask = None
        if self.use_target_weight:
            if target_weights is None:
                raise ValueError("KeypointMSELoss(use_target_weight=True) needs target_weights.")
            full_mask = _weight_mask(target_weights, target)
        if mask is not None:
            full_mask = mask if full_mask is None else full_mask * mask
        if self.skip_empty_channel:
            nonempty = (target.flatten(2) != 0).any(dim=2)
            nonempty = nonempty.reshape(*nonempty.shape, 1, 1).to(target.dtype)
            full_mask = nonempty if full_mask is None else full_mask * nonempty
        if full_mask is None:
            loss = F.mse_loss(output, target)
        else:
            loss = (F.mse_loss(output, target, reduction="none") * full_mask).mean()
        return loss * self.loss_weight


@MODELS.register_module()
class KeypointOHKMMSELoss(nn.Module):
    """MSE over the ``topk`` hardest keypoints of each sample.

    Args:
        use_target_weight: Weight the heatmaps of each keypoint.
        topk: Keypoints kept per sample.
        loss_weight: Factor of the loss.
    """

    def __init__(
        self, use_target_weight: bool = False, topk: int = 8, loss_weight: float = 1.0
    ) -> None:
        super().__init__()
        if topk <= 0:
            raise ValueError(f"topk must be positive; got {topk}.")
        self.use_target_weight = use_target_weight
        self.topk = topk
        self.loss_weight = loss_weight

    def forward(
        self, output: Tensor, target: Tensor, target_weights: Tensor | None = None
    ) -> Tensor:
        k = output.size(1)
        if k < self.topk:
            raise ValueError(f"KeypointOHKMMSELoss: topk={self.topk} exceeds the {k} keypoints.")
        if self.use_target_weight:
            if target_weights is None:
                raise ValueError("use_target_weight=True needs target_weights.")
            w = _weight_mask(target_weights, target)
            output, target = output * w, target * w
        per_keypoint = F.mse_loss(output, target, reduction="none").flatten(2).mean(dim=2)
        hardest, _ = torch.topk(per_keypoint, k=self.topk, dim=1)
        return hardest.sum(dim=1).div(self.topk).mean() * self.loss_weight
