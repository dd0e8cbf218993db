"""``SegDataPreProcessor``: normalise, convert channels and pad a batch of images and label maps
(mmseg 1.x arguments)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor
from mmengine.structures import PixelData
from torch import Tensor, nn

from ..registry import MODELS
from .utils import build_component

__all__ = ["SegDataPreProcessor", "stack_batch"]


def _target_hw(
    shapes: list[tuple[int, int]], size: Sequence[int] | None, size_divisor: int | None
) -> tuple[int, int]:
    max_h = max(h for h, _ in shapes)
    max_w = max(w for _, w in shapes)
    if size is not None:
        th, tw = int(size[0]), int(size[1])
        if th < max_h or tw < max_w:
            raise ValueError(
                f"SegDataPreProcessor: size {tuple(size)} is smaller than an image "
                f"({max_h}, {max_w}); crop the images in the pipeline first."
            )
        return th, tw
    if size_divisor is not None:
        d = int(size_divisor)
        return -(-max_h // d) * d, -(-max_w // d) * d
    return max_h, max_w


def stack_batch(
    inputs: list[Tensor],
    data_samples: list | None = None,
    size: Sequence[int] | None = None,
    size_divisor: int | None = None,
    pad_val: float = 0,
    seg_pad_val: int = 255,
) -> tuple[Tensor, list]:
    """Pad (C, H_i, W_i) images at the bottom and right to one (N, C, H, W) batch.

    The target (H, W) is ``size`` (h, w), else the largest image rounded up to ``size_divisor``.
    ``gt_sem_seg`` of each sample is padded with ``seg_pad_val``; each sample's metainfo gets
    ``img_shape`` (its size before padding), ``pad_shape`` and ``padding_size``
    ``[left, right, top, bottom]``.

    Returns:
        The batch and the samples (dicts of the padding metainfo when ``data_samples`` is None).
    """
    if not inputs or any(t.dim() != 3 for t in inputs):
        raise ValueError("stack_batch expects a non-empty list of (C, H, W) tensors.")
    if len({t.shape[0] for t in inputs}) != 1:
        raise ValueError(f"Images of a batch differ in channels: {[t.shape[0] for t in inputs]}.")
    shapes = [(int(t.shape[-2]), int(t.shape[-1])) for t in inputs]
    th, tw = _target_hw(shapes, size, size_divisor)
    padded, samples = [], []
    for i, (tensor, (h, w)) in enumerate(zip(inputs, shapes)):
        padding = [0, tw - w, 0, th - h]
        padded.append(F.pad(tensor, padding, value=pad_val) if tw > w or th > h else tensor)
        meta = dict(img_shape=(h, w), pad_shape=(th, tw), padding_size=padding)
        if data_samples is None:
            samples.append(meta)
            continue
        sample = data_samples[i]
        for field in ("gt_sem_seg", "gt_edge_map", "gt_depth_map"):
            if field in sample:
                pixel = getattr(sample, field)
                data = F.pad(pixel.data, padding, value=seg_pad_val)
                setattr(sample, field, PixelData(data=data, metainfo=pixel.metainfo))
        sample.set_metainfo(meta)
        samples.append(sample)
    return torch.stack(padded, dim=0), samples


@MODELS.register_module()
class SegDataPreProcessor(BaseDataPreprocessor):
    """Cast to float, convert BGR<->RGB, normalise, then pad images with ``pad_val`` and label
    maps with ``seg_pad_val`` to ``size`` or a multiple of ``size_divisor``.

    In training every batch is padded (``size`` or ``size_divisor``, else to the largest image).
    In testing images are padded only as ``test_cfg=dict(size=..., size_divisor=...)`` asks (and
    to the largest image of a batch of mixed sizes); the padding is recorded as
    ``img_padding_size`` and removed again by the segmentor.

    Args:
        mean: Per-channel mean (after the channel conversion).
        std: Per-channel std.
        size: Fixed (h, w) of the padded training batch.
        size_divisor: Pad height and width to a multiple of this.
        pad_val: Image padding value.
        seg_pad_val: Label-map padding value (the ignore index).
        bgr_to_rgb: Convert BGR inputs to RGB.
        rgb_to_bgr: Convert RGB inputs to BGR.
        batch_augments: Model-registry configs ``aug(inputs, data_samples) -> (inputs, samples)``.
        test_cfg: ``dict(size=..., size_divisor=...)`` of the test-time padding.
    """

    def __init__(
        self,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        size: Sequence[int] | None = None,
        size_divisor: int | None = None,
        pad_val: float = 0,
        seg_pad_val: int = 255,
        bgr_to_rgb: bool = False,
        rgb_to_bgr: bool = False,
        batch_augments: list[dict] | None = None,
        test_cfg: dict | None = None,
    ) -> None:
        super().__init__()
        if bgr_to_rgb and rgb_to_bgr:
            raise ValueError("bgr_to_rgb and rgb_to_bgr cannot both be True.")
        if (mean is None) != (std is None):
            raise ValueError("Normalisation needs both mean and std.")
        if test_cfg is not None:
            unknown = set(test_cfg) - {"size", "size_divisor"}
            if unknown:
                raise KeyError(
                    "SegDataPreProcessor test_cfg accepts size, size_divisor; "
                    f"got {sorted(unknown)}."
                )
        self.size = size
        self.size_divisor = size_divisor
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val
        self.channel_conversion = bgr_to_rgb or rgb_to_bgr
        self._enable_normalize = mean is not None
        if mean is not None:
            self.register_buffer("mean", torch.tensor(mean).view(-1, 1, 1), False)
            self.register_buffer("std", torch.tensor(std).view(-1, 1, 1), False)
        self.batch_augments = (
            nn.ModuleList(build_component(cfg) for cfg in batch_augments)
            if batch_augments
            else None
        )
        self.test_cfg = test_cfg

    def forward(self, data: dict, training: bool = False) -> dict[str, Any]:
        """``dict(inputs=[(C, H_i, W_i), ...] or (N, C, H, W), data_samples=[...])`` ->
        ``dict(inputs=(N, C, H, W) float, data_samples=[...])``."""
        data = self.cast_data(data)
        inputs = data["inputs"]
        samples = data.get("data_samples")
        inputs = list(inputs) if isinstance(inputs, Tensor) else inputs
        if self.channel_conversion and inputs[0].size(0) == 3:
            inputs = [x[[2, 1, 0], ...] for x in inputs]
        inputs = [x.float() for x in inputs]
        if self._enable_normalize:
            inputs = [(x - self.mean) / self.std for x in inputs]
        if training:
            if samples is None:
                raise ValueError("SegDataPreProcessor: training needs data_samples.")
            batch, samples = stack_batch(
                inputs, samples, self.size, self.size_divisor, self.pad_val, self.seg_pad_val
            )
            if self.batch_augments is not None:
                for aug in self.batch_augments:
                    batch, samples = aug(batch, samples)
            return dict(inputs=batch, data_samples=samples)
        cfg = self.test_cfg or {}
        batch, pads = stack_batch(
            inputs, None, cfg.get("size"), cfg.get("size_divisor"), self.pad_val, self.seg_pad_val
        )
        if samples is not None:
            for sample, pad in zip(samples, pads):
                sample.set_metainfo(
                    dict(img_padding_size=pad["padding_size"], pad_shape=pad["pad_shape"])
                )
        return dict(inputs=batch, data_samples=samples)
