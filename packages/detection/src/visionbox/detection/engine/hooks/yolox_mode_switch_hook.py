"""``YOLOXModeSwitchHook``: the last epochs of the YOLOX recipe train without the mixing
augmentations and with the extra L1 box loss (mmdet 3.x's name, arguments and behaviour)."""

from __future__ import annotations

from collections.abc import Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...registry import HOOKS

__all__ = ["YOLOXModeSwitchHook"]


@HOOKS.register_module()
class YOLOXModeSwitchHook(Hook):
    """From epoch ``max_epochs - num_last_epochs`` on (counted from 1, as mmdet does), skip the
    pipeline transforms named in ``skip_type_keys`` and set ``bbox_head.use_l1``.

    The train dataset must offer ``update_skip_type_keys`` (``MultiImageMixDataset``). A
    tracking model's detector (``model.detector``) is switched as well.

    Args:
        num_last_epochs: The number of final epochs trained in the switched mode.
        skip_type_keys: Transform type names to skip.
        priority: The hook's priority (the runner also reads it from the config, as for every
            mmengine hook); ``None`` keeps the default.
    """

    def __init__(
        self,
        num_last_epochs: int = 15,
        skip_type_keys: Sequence[str] = ("Mosaic", "RandomAffine", "MixUp"),
        priority: int | str | None = None,
    ) -> None:
        if priority is not None:
            self.priority = priority
        if num_last_epochs < 0:
            raise ValueError(f"num_last_epochs must be >= 0, got {num_last_epochs}")
        self.num_last_epochs = num_last_epochs
        self.skip_type_keys = tuple(skip_type_keys)
        self._restart_dataloader = False
        self._has_switched = False

    def before_train_epoch(self, runner) -> None:
        """Switch once, at the first epoch of the last ``num_last_epochs``."""
        train_loader = runner.train_dataloader
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        switch = (runner.epoch + 1) >= runner.max_epochs - self.num_last_epochs
        if switch and not self._has_switched:
            dataset = train_loader.dataset
            if not hasattr(dataset, "update_skip_type_keys"):
                raise TypeError(
                    "YOLOXModeSwitchHook needs a train dataset with update_skip_type_keys "
                    f"(MultiImageMixDataset); got {type(dataset).__name__}"
                )
            runner.logger.info(f"YOLOXModeSwitchHook: skipping {list(self.skip_type_keys)} now")
            dataset.update_skip_type_keys(self.skip_type_keys)
            if getattr(train_loader, "persistent_workers", False):
                # Workers hold a copy of the pipeline: make the loader start new ones.
                train_loader._DataLoader__initialized = False
                train_loader._iterator = None
                self._restart_dataloader = True
            runner.logger.info("YOLOXModeSwitchHook: adding the L1 box loss now")
            detector = getattr(model, "detector", model)
            detector.bbox_head.use_l1 = True
            self._has_switched = True
        elif self._restart_dataloader:
            train_loader._DataLoader__initialized = True
