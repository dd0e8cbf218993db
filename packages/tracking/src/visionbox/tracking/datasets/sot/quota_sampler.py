"""``QuotaSampler``: a fixed number of random samples per epoch, whatever the dataset's size."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from visionbox.tracking.registry import DATA_SAMPLERS

__all__ = ["QuotaSampler"]


@DATA_SAMPLERS.register_module()
class QuotaSampler(Sampler):
    """Draw ``samples_per_epoch`` indices per epoch (shared out between processes).

    Args:
        dataset: The dataset.
        samples_per_epoch: Samples drawn per epoch over all processes.
        replacement: Draw with replacement (always so when the quota exceeds the dataset).
        seed: Random seed (shared by the processes when ``None``).
    """

    def __init__(
        self,
        dataset: Any,
        samples_per_epoch: int,
        replacement: bool = False,
        seed: int | None = None,
    ) -> None:
        if samples_per_epoch < 1:
            raise ValueError(
                f"QuotaSampler: samples_per_epoch must be >= 1, got {samples_per_epoch}"
            )
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.samples_per_epoch = int(samples_per_epoch)
        self.replacement = replacement
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        self.num_samples = -(-self.samples_per_epoch // self.world_size)

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        n, total = len(self.dataset), self.num_samples * self.world_size
        if self.replacement or total > n:
            indices = torch.randint(n, (total,), generator=g)
        else:
            indices = torch.randperm(n, generator=g)[:total]
        return iter(indices[self.rank : total : self.world_size].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
