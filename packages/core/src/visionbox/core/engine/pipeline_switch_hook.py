"""``PipelineSwitchHook``: swap the train dataset's pipeline at a given epoch (the second stage
of the RTMDet and RTMPose recipes: weaker augmentation for the last epochs), with mmdet 3.x's
name and arguments."""

from __future__ import annotations

from collections.abc import Sequence

from mmengine.hooks import Hook

from ..datasets.transforms.wrappers import Compose
from ..registry import HOOKS

__all__ = ["PipelineSwitchHook"]


@HOOKS.register_module()
class PipelineSwitchHook(Hook):
    """From epoch ``switch_epoch`` (0-based, as mmengine counts) on, the train dataset runs
    ``switch_pipeline``.

    A dataset wrapper without a ``pipeline`` of its own (``RepeatDataset``, ...) is looked
    through (``dataset.dataset``) until one has it.

    Args:
        switch_epoch: The first epoch of the new pipeline.
        switch_pipeline: Transform configs of the new pipeline.
    """

    def __init__(self, switch_epoch: int, switch_pipeline: Sequence[dict]) -> None:
        if switch_epoch < 0:
            raise ValueError(f"PipelineSwitchHook: switch_epoch must be >= 0, got {switch_epoch}")
        self.switch_epoch = switch_epoch
        self.switch_pipeline = list(switch_pipeline)
        self._restart_dataloader = False
        self._has_switched = False

    def before_train_epoch(self, runner) -> None:
        """Switch once, at the first epoch >= ``switch_epoch``."""
        train_loader = runner.train_dataloader
        if runner.epoch >= self.switch_epoch and not self._has_switched:
            dataset = train_loader.dataset
            while not hasattr(dataset, "pipeline") and hasattr(dataset, "dataset"):
                dataset = dataset.dataset
            if not hasattr(dataset, "pipeline"):
                raise TypeError(
                    f"PipelineSwitchHook: the train dataset {type(dataset).__name__} has no "
                    "pipeline to switch"
                )
            runner.logger.info(
                f"PipelineSwitchHook: switching the pipeline at epoch {runner.epoch}"
            )
            dataset.pipeline = Compose(self.switch_pipeline)
            if getattr(train_loader, "persistent_workers", False):
                # Workers hold a copy of the pipeline: make the loader start new ones.
                train_loader._DataLoader__initialized = False
                train_loader._iterator = None
                self._restart_dataloader = True
            self._has_switched = True
        elif self._restart_dataloader:
            train_loader._DataLoader__initialized = True
