"""``TrackDataPreprocessor``: batches of clips, (N, T, C, H, W), normalised and padded."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from visionbox.core.models.data_preprocessors import BatchImgDataPreprocessor
from visionbox.tracking.registry import MODELS

__all__ = ["TrackDataPreprocessor"]


@MODELS.register_module()
class TrackDataPreprocessor(BatchImgDataPreprocessor):
    """Core's batch preprocessor applied to every frame of every clip.

    ``inputs`` is a list of N (T, C, H, W) clips (all with the same T) and ``data_samples`` a list
    of N ``TrackDataSample``; the frames' data samples get ``batch_input_shape`` and
    ``pad_shape``. Returns ``inputs`` (N, T, C, H', W').

    With ``use_det_processor=True``, training batches of single images (``PackDetInputs``
    samples, (C, H, W) inputs: a detector trained inside a tracking config) are processed as
    core's preprocessor does, returning (N, C, H', W').

    Args:
        use_det_processor: Process training batches as detection batches.
        mean, std, pad_size_divisor, pad_value, bgr_to_rgb, rgb_to_bgr, non_blocking, pad_mask,
        mask_pad_value, pad_seg, seg_pad_value, batch_augments: As in core's
            ``BatchImgDataPreprocessor``.
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
        use_det_processor: bool = False,
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
        )
        self.use_det_processor = use_det_processor

    def forward(self, data: dict, training: bool = False) -> dict:
        if self.use_det_processor and training:
            return super().forward(data, training)
        clips = data["inputs"]
        if isinstance(clips, torch.Tensor):
            clips = list(clips) if clips.dim() == 5 else [clips]
        lengths = {clip.shape[0] for clip in clips}
        if len(lengths) != 1:
            raise ValueError(f"TrackDataPreprocessor: clips of different lengths {sorted(lengths)}")
        (num_frames,) = lengths
        samples = data.get("data_samples")
        flat_samples = None
        if samples is not None:
            flat_samples = [frame for s in samples for frame in s.video_data_samples]
        out = super().forward(
            dict(inputs=[frame for clip in clips for frame in clip], data_samples=flat_samples),
            training,
        )
        inputs = out["inputs"]
        inputs = inputs.view(len(clips), num_frames, *inputs.shape[1:])
        if samples is not None:
            # the base class moves (copies) the frames' samples: put the copies in the clips
            frames = out["data_samples"]
            for i, sample in enumerate(samples):
                sample.video_data_samples = frames[i * num_frames : (i + 1) * num_frames]
        return dict(inputs=inputs, data_samples=samples)
