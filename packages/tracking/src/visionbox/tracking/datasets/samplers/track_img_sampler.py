"""``TrackImgSampler``: frames video after video, whole videos per process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mmengine.dist import get_dist_info
from torch.utils.data import Sampler

from visionbox.tracking.registry import DATA_SAMPLERS

__all__ = ["TrackImgSampler"]


@DATA_SAMPLERS.register_module()
class TrackImgSampler(Sampler):
    """Yield the frame indices of a video dataset in order, giving each process whole videos
    (round-robin), so that every tracker sees its videos' frames consecutively.

    Args:
        dataset: A dataset with ``video_frame_indices()`` (e.g. ``MOTChallengeDataset``).
        seed: Unused (kept for mmengine's sampler interface).
    """

    def __init__(self, dataset: Any, seed: int | None = None) -> None:
        if not hasattr(dataset, "video_frame_indices"):
            raise TypeError(f"TrackImgSampler needs a video dataset, got {type(dataset).__name__}")
        rank, world_size = get_dist_info()
        videos = dataset.video_frame_indices()
        self.indices = [i for video in videos[rank::world_size] for i in video]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)

    def set_epoch(self, epoch: int) -> None:
        """Nothing to do: the order is fixed."""
