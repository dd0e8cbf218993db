"""``ReIDDataPreprocessor``: normalise ReID crops, (N, C, H, W) or (N, T, C, H, W) batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from mmengine.model import BaseDataPreprocessor

from visionbox.tracking.registry import MODELS

__all__ = ["ReIDDataPreprocessor"]


@MODELS.register_module()
class ReIDDataPreprocessor(BaseDataPreprocessor):
    """Stack, convert BGR -> RGB (``to_rgb``) and normalise same-sized crops.

    Args:
        mean: Per-channel mean.
        std: Per-channel std.
        to_rgb: Reverse the channel order.
        pad_size_divisor: Kept for configs; crops are not padded (they share one size).
        pad_value: Kept for configs.
    """

    def __init__(
        self,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        to_rgb: bool = False,
        pad_size_divisor: int = 1,
        pad_value: float = 0,
    ) -> None:
        super().__init__()
        self.to_rgb = to_rgb
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value
        self._normalize = mean is not None
        if self._normalize:
            if std is None:
                raise ValueError("ReIDDataPreprocessor: give std together with mean.")
            self.register_buffer(
                "mean", torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1), False
            )
            self.register_buffer(
                "std", torch.tensor(std, dtype=torch.float32).view(-1, 1, 1), False
            )

    def forward(self, data: dict, training: bool = False) -> dict[str, Any]:
        data = self.cast_data(data)
        inputs = data["inputs"]
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        inputs = inputs.float()
        if self.to_rgb:
            inputs = inputs.flip(-3)
        if self._normalize:
            inputs = (inputs - self.mean) / self.std
        return dict(inputs=inputs, data_samples=data.get("data_samples"))
