"""``SyncNormHook``: average the BatchNorm statistics of all processes before validation (YOLOX
trains with per-process BN; mmdet 3.x's name)."""

from __future__ import annotations

from collections import OrderedDict

from mmengine.dist import all_reduce_dict, get_dist_info
from mmengine.hooks import Hook
from torch import Tensor, nn

from ...registry import HOOKS

__all__ = ["SyncNormHook", "get_norm_states"]


def get_norm_states(module: nn.Module) -> OrderedDict[str, Tensor]:
    """The ``state_dict`` entries of every norm layer (BN, SyncBN, IN) of ``module``."""
    states: OrderedDict[str, Tensor] = OrderedDict()
    for name, child in module.named_modules():
        if isinstance(child, nn.modules.batchnorm._NormBase):
            for key, value in child.state_dict().items():
                states[f"{name}.{key}"] = value
    return states


@HOOKS.register_module()
class SyncNormHook(Hook):
    """Before each validation epoch, replace every norm layer's running statistics (and affine
    weights) by their mean over the processes. Does nothing in a single process.

    Args:
        priority: The hook's priority (the runner also reads it from the config, as for every
            mmengine hook); ``None`` keeps the default.
    """

    def __init__(self, priority: int | str | None = None) -> None:
        if priority is not None:
            self.priority = priority

    def before_val_epoch(self, runner) -> None:
        _, world_size = get_dist_info()
        if world_size == 1:
            return
        states = get_norm_states(runner.model)
        if not states:
            return
        # Integer buffers (num_batches_tracked) cannot be averaged in place; average as floats.
        dtypes = {k: v.dtype for k, v in states.items()}
        averaged = all_reduce_dict({k: v.float() for k, v in states.items()}, op="mean")
        runner.model.load_state_dict(
            {k: v.to(dtypes[k]) for k, v in averaged.items()}, strict=False
        )
