"""``TrackDataSample``: the frames of one video clip, each a data sample with ``gt_instances``
(``bboxes``, ``labels``, ``instances_ids``) and, after inference, ``pred_track_instances``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mmengine.structures import BaseDataElement, InstanceData

from visionbox.core.structures import BaseDataSample

__all__ = ["FrameDataSample", "TrackDataSample"]


class FrameDataSample(BaseDataSample):
    """One frame: :class:`~visionbox.core.structures.BaseDataSample` plus
    ``pred_track_instances`` (``bboxes`` (M, 4), ``scores``, ``labels``, ``instances_id``)."""

    @property
    def pred_track_instances(self) -> InstanceData:
        return self._pred_track_instances

    @pred_track_instances.setter
    def pred_track_instances(self, value: InstanceData) -> None:
        self.set_field(value, "_pred_track_instances", dtype=InstanceData)

    @pred_track_instances.deleter
    def pred_track_instances(self) -> None:
        del self._pred_track_instances


class TrackDataSample(BaseDataElement):
    """A clip of ``len(sample)`` frames; ``sample[i]`` is the i-th frame's data sample.

    Metainfo such as ``key_frames_inds`` / ``ref_frames_inds`` may be set on the clip.
    """

    @property
    def video_data_samples(self) -> list[Any]:
        return self._video_data_samples

    @video_data_samples.setter
    def video_data_samples(self, value: Sequence[Any]) -> None:
        if isinstance(value, BaseDataElement):
            value = [value]
        value = list(value)
        for item in value:
            if not isinstance(item, BaseDataElement):
                raise TypeError(f"video_data_samples must hold data samples, got {type(item)}")
        self.set_field(value, "_video_data_samples", dtype=list)

    @video_data_samples.deleter
    def video_data_samples(self) -> None:
        del self._video_data_samples

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, int):
            return self.video_data_samples[index]
        return super().__getitem__(index)

    def __len__(self) -> int:
        return len(self._video_data_samples) if hasattr(self, "_video_data_samples") else 0
