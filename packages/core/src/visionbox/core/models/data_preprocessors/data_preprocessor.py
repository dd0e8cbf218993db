"""``BatchImgDataPreprocessor``: mmengine's ``ImgDataPreprocessor`` that also records the batch
geometry in every data sample, and pads masks and segmentation maps to the batch.

After ``forward`` each sample's metainfo has ``batch_input_shape`` (the padded batch's (H, W)) and
``pad_shape`` (the sample's (H, W) rounded up to ``pad_size_divisor``), as mmdet's detectors and
mmseg's decode heads expect. Task packages subclass it for task-specific steps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import ImgDataPreprocessor
from mmengine.structures import PixelData

from ...registry import MODELS

__all__ = ["BatchImgDataPreprocessor"]


@MODELS.register_module()
class BatchImgDataPreprocessor(ImgDataPreprocessor):
    """Normalise, convert channels, pad to a batch and record ``batch_input_shape``/``pad_shape``.

    Args:
        mean: Per-channel mean, applied after the channel conversion.
        std: Per-channel std.
        pad_size_divisor: Pad height and width up to a multiple of this.
        pad_value: Value of the padded image pixels.
        bgr_to_rgb: Convert BGR inputs to RGB.
        rgb_to_bgr: Convert RGB inputs to BGR.
        non_blocking: Copy to the device without blocking.
        pad_mask: Pad ``gt_instances.masks`` (BitmapMasks) to the batch shape.
        mask_pad_value: Value of the padded mask pixels.
        pad_seg: Pad ``gt_sem_seg`` to the batch shape.
        seg_pad_value: Value of the padded segmentation pixels (the ignore index).
        batch_augments: Model-registry configs of batch augmentations, called as
            ``aug(inputs, data_samples) -> (inputs, data_samples)`` in training.
        channels_last: Hand training batches to the model in channels-last memory order, so
            that its convolutions run channels-last (oneDNN's faster layout on the CPU: a
            Faster R-CNN R50 step took 0.8x the time; not measured on a GPU). The shipped R50
            detector configs turn it on. oneDNN's backward of a channels-last 1x1 stride-2
            convolution with 12 or fewer input channels crashes (PyTorch 2.x), so models with
            such a layer get their batches back in NCHW order (``BaseTaskModel``). Inference
            batches keep their layout (the fast inference path converts the model).
    """

    def __init__(
        self,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        pad_size_divisor: int = 1,
        pad_value: float = 0,
        bgr_to_rgb: bool = False,
        rgb_to_bgr: bool = False,
        non_blocking: bool = False,
        pad_mask: bool = False,
        mask_pad_value: int = 0,
        pad_seg: bool = False,
        seg_pad_value: int = 255,
        batch_augments: list[dict] | None = None,
        channels_last: bool = False,
    ) -> None:
        if not isinstance(channels_last, bool):
            raise TypeError(f"channels_last must be True or False, got {channels_last!r}")
        super().__init__(
            mean=mean,
            std=std,
            pad_size_divisor=pad_size_divisor,
            pad_value=pad_value,
            bgr_to_rgb=bgr_to_rgb,
            rgb_to_bgr=rgb_to_bgr,
            non_blocking=non_blocking,
        )
        self.channels_last = channels_last
        self.pad_mask = pad_mask
        self.mask_pad_value = mask_pad_value
        self.pad_seg = pad_seg
        self.seg_pad_value = seg_pad_value
        self.batch_augments = (
            torch.nn.ModuleList([MODELS.build(cfg) for cfg in batch_augments])
            if batch_augments
            else None
        )

    def _pad_shapes(self, data: dict) -> list[tuple[int, int]]:
        inputs = data["inputs"]
        shapes = (
            [t.shape[-2:] for t in inputs]
            if isinstance(inputs, list)
            else ([inputs.shape[-2:]] * inputs.shape[0])
        )
        d = self.pad_size_divisor
        return [(int(math.ceil(h / d)) * d, int(math.ceil(w / d)) * d) for h, w in shapes]

    def forward(self, data: dict, training: bool = False) -> dict:
        pad_shapes = self._pad_shapes(data)
        data = super().forward(data, training)
        inputs, samples = data["inputs"], data.get("data_samples")
        if samples is not None:
            batch_input_shape = tuple(inputs.shape[-2:])
            for sample, pad_shape in zip(samples, pad_shapes):
                sample.set_metainfo(
                    {"batch_input_shape": batch_input_shape, "pad_shape": pad_shape}
                )
            if self.pad_mask and training:
                self._pad_masks(samples, batch_input_shape)
            if self.pad_seg and training:
                self._pad_seg(samples, batch_input_shape)
            if training and self.batch_augments is not None:
                for aug in self.batch_augments:
                    inputs, samples = aug(inputs, samples)
        if (
            training
            and self.channels_last
            and isinstance(inputs, torch.Tensor)
            and inputs.dim() == 4
        ):
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        return {"inputs": inputs, "data_samples": samples}

    def _pad_masks(self, samples: list, shape: tuple[int, int]) -> None:
        for sample in samples:
            gt = getattr(sample, "gt_instances", None)
            if gt is not None and "masks" in gt:
                gt.masks = gt.masks.pad(shape, pad_val=self.mask_pad_value)

    def _pad_seg(self, samples: list, shape: tuple[int, int]) -> None:
        for sample in samples:
            seg = getattr(sample, "gt_sem_seg", None)
            if seg is None:
                continue
            data = seg.data
            h, w = data.shape[-2:]
            padded = F.pad(data, (0, shape[1] - w, 0, shape[0] - h), value=self.seg_pad_value)
            sample.gt_sem_seg = PixelData(data=padded, metainfo=seg.metainfo)
