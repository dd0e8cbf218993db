"""Coordinate losses: ``RLELoss`` (Li et al., "Human Pose Regression with Residual
Log-likelihood Estimation", ICCV 2021), ``SmoothL1Loss`` and ``MPJPELoss``.

Shape shorthand: N samples, K keypoints, D coordinate dimensions.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...registry import MODELS
from .realnvp import RealNVP

__all__ = ["MPJPELoss", "MSELoss", "RLELoss", "SmoothL1Loss"]


@MODELS.register_module()
class RLELoss(nn.Module):
    """Negative log-likelihood of the error under a flow-learned residual distribution.

    Args:
        use_target_weight: Weight each keypoint by its target weight.
        size_average: Divide the sum by the batch size.
        residual: Add the log-likelihood of the ``q_distribution`` (the flow learns the residual).
        q_distribution: ``'laplace'`` or ``'gaussian'``.
    """

    def __init__(
        self,
        use_target_weight: bool = False,
        size_average: bool = True,
        residual: bool = True,
        q_distribution: Literal["laplace", "gaussian"] = "laplace",
    ) -> None:
        super().__init__()
        if q_distribution not in ("laplace", "gaussian"):
            raise ValueError(
                f"q_distribution must be 'laplace' or 'gaussian'; got {q_distribution!r}."
            )
        self.use_target_weight = use_target_weight
        self.size_average = size_average
        self.residual = residual
        self.q_distribution = q_distribution
        self.flow_model = RealNVP()

    def forward(
        self, pred: Tensor, sigma: Tensor, target: Tensor, target_weight: Tensor | None = None
    ) -> Tensor:
        """pred/sigma/target (N, K, 2), sigma as logits; target_weight (N, K, 1 or 2)."""
        sigma = sigma.sigmoid()
        error = (pred - target) / (sigma + 1e-9)
        log_phi = self.flow_model.log_prob(error.reshape(-1, 2)).reshape(*target.shape[:2], 1)
        log_sigma = torch.log(sigma)
        loss = log_sigma - log_phi
        if self.residual:
            if self.q_distribution == "laplace":
                loss = loss + torch.log(sigma * 2) + torch.abs(error)
            else:
                loss = loss + torch.log(sigma * math.sqrt(2 * math.pi)) + 0.5 * error**2
        if self.use_target_weight:
            if target_weight is None:
                raise ValueError("RLELoss(use_target_weight=True) needs target_weight.")
            loss = loss * target_weight
        if self.size_average:
            loss = loss / len(loss)
        return loss.sum()


def _keypoint_weight(target_weight: Tensor, like: Tensor) -> Tensor:
    while target_weight.dim() < like.dim():
        target_weight = target_weight.unsqueeze(-1)
    return target_weight


@MODELS.register_module()
class SmoothL1Loss(nn.Module):
    """Smooth L1 between (N, K, D) coordinates (mmpose's; core's detection SmoothL1Loss has the
    mmdet arguments).

    Args:
        use_target_weight: Weight each keypoint by its target weight.
        loss_weight: Factor of the loss.
    """

    def __init__(self, use_target_weight: bool = False, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.use_target_weight = use_target_weight
        self.loss_weight = loss_weight

    def forward(
        self, output: Tensor, target: Tensor, target_weight: Tensor | None = None
    ) -> Tensor:
        if self.use_target_weight:
            if target_weight is None:
                raise ValueError("SmoothL1Loss(use_target_weight=True) needs target_weight.")
            w = _keypoint_weight(target_weight, output)
            loss = F.smooth_l1_loss(output * w, target * w)
        else:
            loss = F.smooth_l1_loss(output, target)
        return loss * self.loss_weight


@MODELS.register_module()
class MPJPELoss(nn.Module):
    """Mean per-joint position error: the mean Euclidean distance between (N, K, D) keypoints.

    Args:
        use_target_weight: Weight each keypoint by its target weight.
        loss_weight: Factor of the loss.
    """

    def __init__(self, use_target_weight: bool = False, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.use_target_weight = use_target_weight
        self.loss_weight = loss_weight

    def forward(
        self, output: Tensor, target: Tensor, target_weight: Tensor | None = None
    ) -> Tensor:
        distance = torch.norm(output - target, dim=-1)
        if self.use_target_weight:
            if target_weight is None:
                raise ValueError("MPJPELoss(use_target_weight=True) needs target_weight.")
            w = target_weight
            while w.dim() > distance.dim():
                w = w.squeeze(-1)
            distance = distance * w
        return distance.mean() * self.loss_weight


@MODELS.register_module()
class MSELoss(nn.Module):
    """Mean squared error between (N, K, D) coordinates (mmpose's; core's MSELoss has mmdet's
    arguments).

    Args:
        use_target_weight: Weight each keypoint by its target weight.
        loss_weight: Factor of the loss.
    """

    def __init__(self, use_target_weight: bool = False, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.use_target_weight = use_target_weight
        self.loss_weight = loss_weight

    def forward(
        self, output: Tensor, target: Tensor, target_weight: Tensor | None = None
    ) -> Tensor:
        if self.use_target_weight:
            if target_weight is None:
                raise ValueError("MSELoss(use_target_weight=True) needs target_weight.")
            w = _keypoint_weight(target_weight, output)
            loss = F.mse_loss(output * w, target * w)
        else:
            loss = F.mse_loss(output, target)
        return loss * self.loss_weight
