"""``PoseDataPreprocessor``: normalise, convert channels and batch pose inputs."""

from __future__ import annotations

from collections.abc import Sequence

from visionbox.core.models.data_preprocessors import BatchImgDataPreprocessor

from ..registry import MODELS

__all__ = ["PoseDataPreprocessor"]


@MODELS.register_module()
class PoseDataPreprocessor(BatchImgDataPreprocessor):
    """mmpose's data preprocessor: core's image preprocessor with mmpose's arguments.

    Args:
        mean: Per-channel mean (after the channel conversion).
        std: Per-channel std.
        pad_size_divisor: Pad height and width to a multiple of this.
        pad_value: Value of the padded pixels.
        bgr_to_rgb: Convert BGR inputs to RGB.
        rgb_to_bgr: Convert RGB inputs to BGR.
        non_blocking: Copy to the device without blocking.
        batch_augments: Batch augmentations applied in training.
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
        batch_augments: list[dict] | None = None,
    ) -> None:
        super().__init__(
            mean=mean,
            std=std,
            pad_size_divisor=pad_size_divisor,
            pad_value=pad_value,
            bgr_to_rgb=bgr_to_rgb,
            rgb_to_bgr=rgb_to_bgr,
            non_blocking=non_blocking,
            batch_augments=batch_augments,
        )
