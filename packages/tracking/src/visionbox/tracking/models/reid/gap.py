"""``GlobalAveragePooling``: the ReID neck, (N, C, H, W) maps -> (N, C) vectors."""

from __future__ import annotations

from mmengine.model import BaseModule
from torch import Tensor, nn

from visionbox.tracking.registry import MODELS

__all__ = ["GlobalAveragePooling"]


@MODELS.register_module()
class GlobalAveragePooling(BaseModule):
    """Average-pool feature maps and flatten them.

    Args:
        kernel_size: Pooling window; with ``stride``, an ``AvgPool2d`` (mmdetection's ReID
            configs use (8, 4) on 256x128 crops). Both ``None``: global average.
        stride: Pooling stride.
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, int] | None = None,
        stride: int | tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        if kernel_size is None and stride is None:
            self.gap = nn.AdaptiveAvgPool2d((1, 1))
        else:
            self.gap = nn.AvgPool2d(kernel_size, stride)

    def forward(self, inputs: Tensor | tuple[Tensor, ...]) -> Tensor | tuple[Tensor, ...]:
        """(N, C, H, W) or a tuple of them -> (N, C * h * w) (each)."""
        if isinstance(inputs, tuple):
            return tuple(self.gap(x).flatten(1) for x in inputs)
        if isinstance(inputs, Tensor):
            return self.gap(inputs).flatten(1)
        raise TypeError(f"GlobalAveragePooling takes a tensor or a tuple, got {type(inputs)}")
