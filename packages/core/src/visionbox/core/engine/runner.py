"""``VisionBoxRunner``: mmengine's ``Runner`` with atomic checkpoints, exact resume and CPU DDP.

Differences from :class:`mmengine.runner.Runner` (everything else is inherited):

* ``save_checkpoint`` writes to a temporary file in the target folder and renames it
  (:func:`os.replace`), and stores the global generators' states in ``meta['rng_state']``.
* ``resume`` restores those states after mmengine has restored the model, optimizer, parameter
  schedulers, message hub and loop position, so training N epochs equals training k, stopping
  and resuming for N - k. The state is rank 0's (checkpoints are written by rank 0); with
  ``randomness.diff_rank_seed=True`` the other ranks resume with rank 0's generators.
* ``build_logger`` keeps the terminal quiet: the environment dump, the config and the hook table
  go to the log file only (:mod:`.console`; ``--verbose`` shows them).
* ``build_optim_wrapper`` checks the config's types and keywords first ("did you mean").
* ``launcher='pytorch'`` on a machine without CUDA starts a ``gloo`` process group and wraps the
  model in DDP without ``device_ids`` (mmengine assumes a GPU per process).

``load_checkpoint`` (and so ``resume``, ``load_from``) reads the file through
:func:`~visionbox.core.engine.loading.read_checkpoint`: the allow-list, a missing, truncated or
non-checkpoint file named by its path. mmengine's ``CheckpointLoader`` is not involved.
"""

from __future__ import annotations

import datetime
import os
import os.path as osp
from typing import Any

import torch
import torch.distributed as torch_dist
from mmengine.device import get_device
from mmengine.dist import is_distributed, master_only
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from ..optim import check_optim_wrapper_cfg
from ..registry import MODEL_WRAPPERS, RUNNERS, ScopeImportFilter
from .console import quiet_console
from .loading import read_checkpoint
from .rng import capture_rng_state, restore_rng_state

__all__ = ["VisionBoxRunner"]

_DEFAULT_REVISE_KEYS = [(r"^module.", "")]


def _is_local(path: str) -> bool:
    return "://" not in path


@RUNNERS.register_module()
class VisionBoxRunner(Runner):
    """The runner that :func:`visionbox.core.engine.build_runner` builds by default."""

    _loaded_meta: dict | None = None

    def setup_env(self, env_cfg: dict) -> None:
        if self.distributed and not is_distributed() and not torch.cuda.is_available():
            self._init_cpu_process_group(env_cfg.get("dist_cfg", {}))
        super().setup_env(env_cfg)

    def _init_cpu_process_group(self, dist_cfg: dict) -> None:
        if self.launcher != "pytorch":
            raise RuntimeError(
                f"launcher={self.launcher!r} needs CUDA devices; on CPU only launcher='pytorch' "
                "(torchrun) is supported."
            )
        kwargs: dict[str, Any] = {}
        if dist_cfg.get("timeout") is not None:
            kwargs["timeout"] = datetime.timedelta(seconds=dist_cfg["timeout"])
        torch_dist.init_process_group(
            backend="gloo",
            rank=int(os.environ["RANK"]),
            world_size=int(os.environ["WORLD_SIZE"]),
            **kwargs,
        )

    def build_logger(self, log_level: int | str = "INFO", log_file: str | None = None, **kwargs):
        """mmengine's logger, whose terminal output is quiet (see :mod:`.console`)."""
        logger = super().build_logger(log_level=log_level, log_file=log_file, **kwargs)
        quiet_console(logger)
        logger.addFilter(ScopeImportFilter())
        return logger

    def wrap_model(self, model_wrapper_cfg: dict | None, model: torch.nn.Module) -> Any:
        if not self.distributed or is_model_wrapper(model) or get_device() != "cpu":
            return super().wrap_model(model_wrapper_cfg, model)
        wrapper_cfg = dict(model_wrapper_cfg or {})
        if not wrapper_cfg:
            wrapper_cfg = dict(
                broadcast_buffers=False,
                find_unused_parameters=self.cfg.get("find_unused_parameters", False),
            )
        wrapper_cfg.setdefault("type", "MMDistributedDataParallel")
        # DDP on CPU modules takes no device_ids.
        return MODEL_WRAPPERS.build(wrapper_cfg, default_args=dict(module=model.to("cpu")))

    def build_optim_wrapper(self, optim_wrapper: Any) -> Any:
        """Check an ``optim_wrapper`` config (types, keywords) before mmengine builds it."""
        if isinstance(optim_wrapper, dict):
            check_optim_wrapper_cfg(optim_wrapper)
        return super().build_optim_wrapper(optim_wrapper)

    @master_only
    def save_checkpoint(
        self,
        out_dir: str,
        filename: str,
        file_client_args: dict | None = None,
        save_optimizer: bool = True,
        save_param_scheduler: bool = True,
        meta: dict | None = None,
        by_epoch: bool = True,
        backend_args: dict | None = None,
    ) -> None:
        """Save a checkpoint atomically (local folders) with the generators' states in meta."""
        if meta is not None and not isinstance(meta, dict):
            raise TypeError(f"meta should be a dict or None, but got {type(meta)}")
        meta = dict(meta or {})
        meta["rng_state"] = capture_rng_state()
        options = dict(
            file_client_args=file_client_args,
            save_optimizer=save_optimizer,
            save_param_scheduler=save_param_scheduler,
            meta=meta,
            by_epoch=by_epoch,
            backend_args=backend_args,
        )
        if not _is_local(out_dir) or file_client_args is not None or backend_args is not None:
            super().save_checkpoint(out_dir, filename, **options)
            return
        target = osp.join(out_dir, filename)
        folder, name = osp.split(target)
        temporary = osp.join(folder, f".{name}.{os.getpid()}.tmp")
        try:
            super().save_checkpoint(folder, osp.basename(temporary), **options)
            with open(temporary, "rb") as file:
                os.fsync(file.fileno())
            os.replace(temporary, target)
        finally:
            if osp.exists(temporary):
                os.remove(temporary)

    def load_checkpoint(
        self,
        filename: str,
        map_location: Any = "cpu",
        strict: bool = False,
        revise_keys: list | None = None,
    ) -> dict:
        """Load weights into the model as mmengine does, reading through VisionBox's loader.

        Hooks see the checkpoint in ``after_load_checkpoint``; its ``meta`` is kept for resume.
        """
        keys = _DEFAULT_REVISE_KEYS if revise_keys is None else revise_keys
        checkpoint = read_checkpoint(filename, map_location=map_location)
        self.call_hook("after_load_checkpoint", checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        checkpoint = _load_checkpoint_to_model(model, checkpoint, strict, revise_keys=keys)
        self._has_loaded = True
        self.logger.info(f"Load checkpoint from {filename}")
        self._loaded_meta = checkpoint.get("meta", {}) if isinstance(checkpoint, dict) else {}
        return checkpoint

    def resume(
        self,
        filename: str,
        resume_optimizer: bool = True,
        resume_param_scheduler: bool = True,
        map_location: Any = "default",
    ) -> None:
        """Resume as mmengine does, then restore the random generators' states."""
        self._loaded_meta = None
        super().resume(filename, resume_optimizer, resume_param_scheduler, map_location)
        state = (self._loaded_meta or {}).get("rng_state")
        if state is None:
            self.logger.warning(
                f"{filename} holds no random generator state; random augmentations after "
                "this resume will differ from those of an uninterrupted run."
            )
            return
        restore_rng_state(state)
