"""The VisionBox engine: configs to mmengine runners, safe checkpoints, resume, tools' commands.

Importing this package (which core's ``RUNNERS``/``HOOKS`` registries do through ``locations``)
registers :class:`VisionBoxRunner` and the atomic :class:`CheckpointHook` in core's registries.
Every checkpoint VisionBox reads goes through :func:`read_checkpoint` (the allow-list of
:mod:`.safe_load`); nothing is registered with mmengine's ``CheckpointLoader``.
"""

from .builder import (
    build_runner,
    load_config,
    prepare_test_config,
    prepare_train_config,
    test,
    train,
)
from .checkpoint import (
    atomic_write,
    load_from_http,
    load_from_local,
    torch_hub_checkpoint_path,
)
from .cli import test_main, test_parser, train_main, train_parser
from .fuse_hook import FastInferenceHook
from .hooks import CheckpointHook
from .loading import (
    CheckpointMismatchError,
    CheckpointReadError,
    load_model_weights,
    read_checkpoint,
)
from .pipeline_switch_hook import PipelineSwitchHook
from .rng import capture_rng_state, restore_rng_state
from .runner import VisionBoxRunner
from .safe_load import (
    SAFE_GLOBAL_NAMES,
    UnsafeCheckpointError,
    add_safe_globals,
    restricted_pickle_module,
    safe_globals,
    safe_torch_load,
    uses_torch_weights_only,
)

__all__ = [
    "SAFE_GLOBAL_NAMES",
    "CheckpointHook",
    "PipelineSwitchHook",
    "CheckpointMismatchError",
    "FastInferenceHook",
    "CheckpointReadError",
    "UnsafeCheckpointError",
    "VisionBoxRunner",
    "add_safe_globals",
    "atomic_write",
    "build_runner",
    "capture_rng_state",
    "load_config",
    "load_from_http",
    "load_from_local",
    "load_model_weights",
    "prepare_test_config",
    "prepare_train_config",
    "read_checkpoint",
    "restore_rng_state",
    "restricted_pickle_module",
    "safe_globals",
    "safe_torch_load",
    "test",
    "test_main",
    "test_parser",
    "torch_hub_checkpoint_path",
    "train",
    "train_main",
    "train_parser",
    "uses_torch_weights_only",
]
