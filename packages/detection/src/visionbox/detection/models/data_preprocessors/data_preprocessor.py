"""``DetDataPreprocessor``: mmdet 3.x's name and arguments on core's ``BatchImgDataPreprocessor``
(normalise, BGR->RGB, pad to a multiple of ``pad_size_divisor``, record ``batch_input_shape`` and
``pad_shape``, pad masks / segmentation maps, batch augmentations)."""

from __future__ import annotations

from collections.abc import Sequence

from visionbox.core.models.data_preprocessors import BatchImgDataPreprocessor

from ...registry import MODELS

__all__ = ["DetDataPreprocessor"]


@MODELS.register_module()
class DetDataPreprocessor(BatchImgDataPreprocessor):
    """Batch images for detectors.

    Args:
        mean / std: Per-channel normalisation (after the channel conversion).
        pad_size_divisor: Pad H and W to a multiple of this (32 for FPN detectors).
        pad_value: Value of padded pixels.
        pad_mask: Pad ``gt_instances.masks`` to the batch shape (Mask R-CNN).
        mask_pad_value: Value of padded mask pixels.
        pad_seg: Pad ``gt_sem_seg``.
        seg_pad_value: Value of padded segmentation pixels.
        bgr_to_rgb / rgb_to_bgr: Channel conversion.
        boxtype2tensor: Kept for mmdet configs (boxes are always tensors here).
        non_blocking: Non-blocking device copies.
        batch_augments: Batch augmentation configs (training only).
        channels_last: Training batches in channels-last memory order (see core's
            ``BatchImgDataPreprocessor``).
    """

    def __init__(
        self,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        pad_size_divisor: int = 1,
        pad_value: float = 0,
        pad_mask: bool = False,
        mask_pad_value: int = 0,
        pad_seg: bool = False,
        seg_pad_value: int = 255,
        bgr_to_rgb: bool = False,
        rgb_to_bgr: bool = False,
        boxtype2tensor: bool = True,
        non_blocking: bool = False,
        batch_augments: list[dict] | None = None,
        channels_last: bool = False,
    ) -> None:
        super().__init__(
            mean=mean,
            std=std,
            pad_size_divisor=pad_size_divisor,
            pad_value=pad_value,
            bgr_to_rgb=bgr_to_rgb,
            rgb_to_bgr=rgb_to_bgr,
            non_blocking=non_blocking,
            pad_mask=pad_mask,
            mask_pad_value=mask_pad_value,
            pad_seg=pad_seg,
            seg_pad_value=seg_pad_value,
            batch_augments=batch_augments,
            channels_last=channels_last,
        )
        self.boxtype2tensor = boxtype2tensor
