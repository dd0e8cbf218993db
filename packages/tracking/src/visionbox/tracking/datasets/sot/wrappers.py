"""``RandomSampleConcatDataset``: draw each sample from one of several datasets by weight."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from mmengine.dataset import ConcatDataset

from visionbox.tracking.registry import DATASETS

__all__ = ["RandomSampleConcatDataset"]


@DATASETS.register_module()
class RandomSampleConcatDataset(ConcatDataset):
    """A concatenation whose ``__getitem__`` ignores the index: it picks dataset ``i`` with
    probability ``dataset_sampling_weights[i]`` and a random sample of it (mmtracking's wrapper,
    used with ``QuotaSampler``).

    Args:
        datasets: Dataset configs or datasets.
        dataset_sampling_weights: One non-negative weight per dataset (normalised).
        lazy_init: Defer building the datasets' data lists.
    """

    def __init__(
        self,
        datasets: Sequence[dict | Any],
        dataset_sampling_weights: Sequence[float] | None = None,
        lazy_init: bool = False,
    ) -> None:
        built = [DATASETS.build(d) if isinstance(d, dict) else d for d in datasets]
        weights = list(dataset_sampling_weights or [1.0] * len(built))
        if len(weights) != len(built) or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(
                f"RandomSampleConcatDataset: {len(built)} datasets need as many non-negative "
                f"weights, got {weights}"
            )
        super().__init__(built, lazy_init=lazy_init, ignore_keys=["classes", "palette"])
        total = float(sum(weights))
        self.dataset_sampling_probs = [w / total for w in weights]

    def __getitem__(self, idx: int) -> Any:
        dataset = random.choices(self.datasets, weights=self.dataset_sampling_probs)[0]
        return dataset[random.randrange(len(dataset))]
