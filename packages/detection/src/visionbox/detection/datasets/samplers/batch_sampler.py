"""``AspectRatioBatchSampler``: batches of images that are all landscape or all portrait, so
that padding to the batch shape wastes little (mmdet 3.x)."""

from __future__ import annotations

from collections.abc import Iterator

from torch.utils.data import BatchSampler, Sampler

from ...registry import DATA_SAMPLERS

__all__ = ["AspectRatioBatchSampler"]


@DATA_SAMPLERS.register_module()
class AspectRatioBatchSampler(BatchSampler):
    """Group the indices of ``sampler`` into batches by ``width < height``.

    Args:
        sampler: The index sampler (its ``dataset`` must give ``get_data_info(i)`` with
            ``width`` and ``height``).
        batch_size: Images per batch.
        drop_last: Drop the last incomplete batch.
    """

    def __init__(self, sampler: Sampler, batch_size: int, drop_last: bool = False) -> None:
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if not hasattr(sampler, "dataset"):
            raise TypeError("AspectRatioBatchSampler needs a sampler with a .dataset")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last
        self._buckets: list[list[int]] = [[], []]

    def __iter__(self) -> Iterator[list[int]]:
        buckets: list[list[int]] = [[], []]
        dataset = self.sampler.dataset
        for idx in self.sampler:
            info = dataset.get_data_info(idx)
            bucket = buckets[int(info["width"] < info["height"])]
            bucket.append(idx)
            if len(bucket) == self.batch_size:
                yield bucket[:]
                del bucket[:]
        left = buckets[0] + buckets[1]
        while left:
            batch, left = left[: self.batch_size], left[self.batch_size :]
            if len(batch) == self.batch_size or not self.drop_last:
                yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
