"""``BatchSyncRandomResize``: YOLOX's multi-scale training as a batch augmentation of the data
preprocessor (mmdet 3.x's name and arguments); the random size is shared by every process."""

from __future__ import annotations

import random

import torch
import torch.distributed as dist
import torch.nn.functional as F
from mmengine.logging import MessageHub
from torch import Tensor, nn

from ...registry import MODELS
from ...structures import SampleList

__all__ = ["BatchSyncRandomResize"]


@MODELS.register_module()
class BatchSyncRandomResize(nn.Module):
    """Resize the whole batch (images and boxes) to a size drawn every ``interval`` iterations.

    Args:
        random_size_range: ``(min, max)`` of the drawn height in pixels (rounded to multiples of
            ``size_divisor``); the width follows the batch's aspect ratio.
        interval: Iterations between two draws.
        size_divisor: The drawn sizes are multiples of this.

    Shapes: (B, C, H, W) -> (B, C, H', W'); ``gt_instances.bboxes`` scaled by (W'/W, H'/H).
    """

    def __init__(
        self, random_size_range: tuple[int, int], interval: int = 10, size_divisor: int = 32
    ) -> None:
        super().__init__()
        if len(random_size_range) != 2 or random_size_range[0] > random_size_range[1]:
            raise ValueError(f"random_size_range must be (min, max), got {random_size_range!r}")
        self._input_size: tuple[int, int] | None = None
        self._random_size_range = (
            round(random_size_range[0] / size_divisor),
            round(random_size_range[1] / size_divisor),
        )
        self._interval = interval
        self._size_divisor = size_divisor

    def forward(self, inputs: Tensor, data_samples: SampleList) -> tuple[Tensor, SampleList]:
        h, w = inputs.shape[-2:]
        if self._input_size is None:
            self._input_size = (h, w)
        scale_y, scale_x = self._input_size[0] / h, self._input_size[1] / w
        if scale_x != 1 or scale_y != 1:
            inputs = F.interpolate(
                inputs, size=self._input_size, mode="bilinear", align_corners=False
            )
            scale = inputs.new_tensor([scale_x, scale_y, scale_x, scale_y])
            for sample in data_samples:
                img_h, img_w = sample.img_shape[:2]
                pad_h, pad_w = sample.metainfo.get("pad_shape", (img_h, img_w))[:2]
                sample.set_metainfo(
                    dict(
                        img_shape=(int(img_h * scale_y), int(img_w * scale_x)),
                        pad_shape=(int(pad_h * scale_y), int(pad_w * scale_x)),
                        batch_input_shape=tuple(self._input_size),
                    )
                )
                for key in ("gt_instances", "ignored_instances"):
                    if key in sample and "bboxes" in sample.get(key):
                        instances = sample.get(key)
                        instances.bboxes = instances.bboxes * scale.to(instances.bboxes.dtype)
        message_hub = MessageHub.get_current_instance()
        if (message_hub.get_info("iter", 0) + 1) % self._interval == 0:
            self._input_size = self._random_size(float(w / h), inputs.device)
        return inputs, data_samples

    def _random_size(self, aspect_ratio: float, device: torch.device) -> tuple[int, int]:
        """A new (h, w), drawn on process 0 and broadcast to the others."""
        size = torch.zeros(2, dtype=torch.long, device=device)
        distributed = dist.is_available() and dist.is_initialized()
        if not distributed or dist.get_rank() == 0:
            steps = random.randint(*self._random_size_range)
            size[0] = self._size_divisor * steps
            size[1] = self._size_divisor * int(aspect_ratio * steps)
        if distributed:
            dist.broadcast(size, 0)
        return int(size[0]), int(size[1])
