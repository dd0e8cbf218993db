"""Necks of pose models: ``GlobalAveragePooling`` (regression heads read a vector)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from visionbox.core.models.base import BaseNeck

from ..registry import MODELS

__all__ = ["GlobalAveragePooling"]


@MODELS.register_module()
class GlobalAveragePooling(BaseNeck):
    """Average each (N, C, H, W) map over space into (N, C); a tuple stays a tuple.

    The neck has no parameters, so it accepts any channels (``in_channels`` is left unset and
    the channel check between backbone and neck passes).
    """

    def __init__(self) -> None:
        super().__init__()
        self.gap = nn.AdaptiveAvgPool2d((1, 1))

    def forward(self, inputs: tuple[Tensor, ...] | Tensor) -> tuple[Tensor, ...] | Tensor:
        if isinstance(inputs, tuple):
            return tuple(torch.flatten(self.gap(x), 1) for x in inputs)
        if isinstance(inputs, Tensor):
            return torch.flatten(self.gap(inputs), 1)
        raise TypeError(f"GlobalAveragePooling takes a tensor or a tuple; got {type(inputs)}.")
