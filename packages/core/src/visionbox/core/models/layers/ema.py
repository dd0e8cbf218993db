"""``ExpMomentumEMA``: the exponential-momentum weight average of YOLOX, RTMDet and RTMPose, used
through mmengine's ``EMAHook`` as ``dict(type='EMAHook', ema_type='ExpMomentumEMA',
momentum=0.0002)``.

mmengine ships ``ExponentialMovingAverage`` and ``MomentumAnnealingEMA`` but not this schedule
(mmdet defines it in ``mmdet/models/layers/ema.py``); it is registered in core's ``MODELS``, so
``EMAHook`` finds it from every task's scope.
"""

from __future__ import annotations

import math

import torch
from mmengine.model import ExponentialMovingAverage
from torch import Tensor, nn

from ...registry import MODELS

__all__ = ["ExpMomentumEMA"]


@MODELS.register_module()
class ExpMomentumEMA(ExponentialMovingAverage):
    """EMA whose momentum decays from 1 to ``momentum``:
    ``m_t = (1 - momentum) * exp(-(1 + t) / gamma) + momentum`` and
    ``avg = (1 - m_t) * avg + m_t * param``.

    Args:
        model: The model to average.
        momentum: The final momentum.
        gamma: Decay of the extra early momentum, in updates (> 0).
        interval: Update every ``interval`` steps.
        device: Where to keep the averaged copy.
        update_buffers: Average the buffers (BatchNorm statistics) too.
    """

    def __init__(
        self,
        model: nn.Module,
        momentum: float = 0.0002,
        gamma: int = 2000,
        interval: int = 1,
        device: torch.device | None = None,
        update_buffers: bool = False,
    ) -> None:
        super().__init__(
            model=model,
            momentum=momentum,
            interval=interval,
            device=device,
            update_buffers=update_buffers,
        )
        if gamma <= 0:
            raise ValueError(f"ExpMomentumEMA: gamma must be > 0, got {gamma}")
        self.gamma = gamma

    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        """Move ``averaged_param`` towards ``source_param`` in place with momentum ``m_steps``."""
        momentum = (1 - self.momentum) * math.exp(-float(1 + steps) / self.gamma) + self.momentum
        averaged_param.mul_(1 - momentum).add_(source_param, alpha=momentum)
