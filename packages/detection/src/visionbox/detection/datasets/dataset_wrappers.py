"""``MultiImageMixDataset``: the dataset wrapper that feeds multi-image transforms (``Mosaic``,
``MixUp``) with extra samples, with mmdet 3.x's name, arguments and behaviour."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from mmengine.dataset import BaseDataset

from ..registry import DATASETS, TRANSFORMS

__all__ = ["MultiImageMixDataset"]


@DATASETS.register_module()
class MultiImageMixDataset:
    """Run ``pipeline`` on the samples of ``dataset`` (whose own pipeline loads the image and
    annotations). Before a transform with ``get_indexes(dataset)``, the samples at those indices
    are loaded into ``results['mix_results']``.

    Args:
        dataset: The wrapped dataset (config or instance).
        pipeline: Transform configs applied after the dataset's pipeline.
        skip_type_keys: Transform type names to skip (``YOLOXModeSwitchHook`` sets them).
        max_refetch: Tries when a transform, or the loading of a mixed sample, returns ``None``.
        lazy_init: Defer loading the annotations of ``dataset``.
    """

    def __init__(
        self,
        dataset: BaseDataset | dict,
        pipeline: Sequence[dict],
        skip_type_keys: Sequence[str] | None = None,
        max_refetch: int = 15,
        lazy_init: bool = False,
    ) -> None:
        self._skip_type_keys = None
        self.update_skip_type_keys(skip_type_keys)
        self.pipeline = []
        self.pipeline_types = []
        for transform in pipeline:
            if not isinstance(transform, dict):
                raise TypeError(
                    f"MultiImageMixDataset: pipeline entries must be config dicts, got "
                    f"{type(transform).__name__}"
                )
            self.pipeline_types.append(transform["type"])
            self.pipeline.append(TRANSFORMS.build(transform))
        if isinstance(dataset, dict):
            self.dataset = DATASETS.build(dataset)
        elif isinstance(dataset, BaseDataset):
            self.dataset = dataset
        else:
            raise TypeError(
                f"MultiImageMixDataset: dataset must be a config or a BaseDataset, got "
                f"{type(dataset).__name__}"
            )
        self._metainfo = self.dataset.metainfo
        if hasattr(self.dataset, "flag"):
            self.flag = self.dataset.flag
        self.max_refetch = max_refetch
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """A copy of the wrapped dataset's metainfo."""
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        """Load the wrapped dataset's annotations."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        self.num_samples = len(self.dataset)
        self._fully_initialized = True

    def get_data_info(self, idx: int) -> dict:
        """The annotation of sample ``idx`` of the wrapped dataset."""
        self.full_init()
        return self.dataset.get_data_info(idx)

    def __len__(self) -> int:
        self.full_init()
        return self.num_samples

    def _mix_results(self, transform) -> list[dict]:
        for _ in range(self.max_refetch):
            indexes = transform.get_indexes(self.dataset)
            if not isinstance(indexes, Sequence):
                indexes = [indexes]
            mix = [copy.deepcopy(self.dataset[i]) for i in indexes]
            if None not in mix:
                return mix
        raise RuntimeError(
            "MultiImageMixDataset: the wrapped dataset's pipeline returned None for every "
            f"sample tried for {type(transform).__name__} ({self.max_refetch} tries)."
        )

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        results = copy.deepcopy(self.dataset[idx])
        for transform, type_name in zip(self.pipeline, self.pipeline_types):
            if self._skip_type_keys is not None and type_name in self._skip_type_keys:
                continue
            if hasattr(transform, "get_indexes"):
                results["mix_results"] = self._mix_results(transform)
            for _ in range(self.max_refetch):
                updated = transform(copy.deepcopy(results))
                if updated is not None:
                    results = updated
                    break
            else:
                raise RuntimeError(
                    f"MultiImageMixDataset: {type(transform).__name__} returned None "
                    f"{self.max_refetch} times for sample {idx}."
                )
            results.pop("mix_results", None)
        return results

    def update_skip_type_keys(self, skip_type_keys: Sequence[str] | None) -> None:
        """Skip the transforms of these type names from now on (``None``: skip none)."""
        if skip_type_keys is not None and not all(isinstance(k, str) for k in skip_type_keys):
            raise TypeError(f"skip_type_keys must be strings, got {skip_type_keys!r}")
        self._skip_type_keys = None if skip_type_keys is None else tuple(skip_type_keys)
