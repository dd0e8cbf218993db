"""Hooks that VisionBox runs in place of mmengine's defaults.

``CheckpointHook`` is registered in core's ``HOOKS`` under mmengine's name, so
``default_hooks=dict(checkpoint=dict(type='CheckpointHook', ...))`` in any VisionBox scope builds
this class. It behaves as mmengine's, with the same arguments, but writes ``last_checkpoint``
atomically; the checkpoint file itself is written atomically by :class:`VisionBoxRunner`.
"""

from __future__ import annotations

import os.path as osp
from typing import Any

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook as MMEngineCheckpointHook

from ..registry import HOOKS
from .checkpoint import atomic_write

__all__ = ["CheckpointHook"]


@HOOKS.register_module(name="CheckpointHook")
class CheckpointHook(MMEngineCheckpointHook):
    """mmengine's ``CheckpointHook`` whose ``last_checkpoint`` file is replaced atomically."""

    def _drop_oldest(self, step: int, runner: Any) -> None:
        """Keep at most ``max_keep_ckpts`` checkpoints, counting the one about to be saved."""
        if self.max_keep_ckpts <= 0 or (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            return
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            oldest = self.keep_ckpt_ids.popleft()
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(oldest))
            if is_main_process():
                if self.file_backend.isfile(path):
                    self.file_backend.remove(path)
                elif self.file_backend.isdir(path):
                    self.file_backend.rmtree(path)
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info("keep_ckpt_ids", list(self.keep_ckpt_ids))

    def _save_checkpoint_with_step(self, runner: Any, step: int, meta: dict) -> None:
        self._drop_oldest(step, runner)
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info("last_ckpt", self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args,
        )
        if is_main_process():
            with atomic_write(osp.join(runner.work_dir, "last_checkpoint"), "w") as file:
                file.write(self.last_ckpt)
