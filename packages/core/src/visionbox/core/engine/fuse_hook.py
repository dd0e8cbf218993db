"""``FastInferenceHook``: tests run on the fast inference path, as ``init_*`` and Inferencers do.

``test.py`` / ``visionbox test`` (and :func:`visionbox.core.engine.test`) register it unless
``--no-fuse`` / ``fuse=False``. At the start of the test epoch it copies the model, applies
:func:`visionbox.core.models.optimize_for_inference` to the copy (eval-mode BatchNorms folded into
their convolutions, channels-last weights for conv nets) and tests the copy; afterwards the runner
gets its own model back, unchanged. Working on a copy keeps whatever else holds the model right:
mmengine's ``EMAHook`` swaps the averaged weights into the model it captured before the epoch
starts (this hook runs last, so the copy holds them) and swaps them back after it. Training and
validation during training never see this hook.
"""

from __future__ import annotations

import copy
from typing import Any

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn

from ..models import optimize_for_inference
from ..registry import HOOKS
from .console import log_to_file_only

__all__ = ["FastInferenceHook"]


@HOOKS.register_module()
class FastInferenceHook(Hook):
    """Test a BatchNorm-folded copy of the model (see the module docstring).

    Args:
        channels_last: Passed to :func:`optimize_for_inference` (``None``: for conv nets).
        fuse: Fold the BatchNorms (``--no-fuse`` with ``--compile`` only compiles).
        compile: Also ``torch.compile`` the copy's backbone and neck (``--compile``).
    """

    priority = "LOWEST"

    def __init__(
        self, channels_last: bool | None = None, fuse: bool = True, compile: bool = False
    ) -> None:
        if channels_last not in (None, True, False):
            raise ValueError(f"channels_last must be None, True or False, got {channels_last!r}")
        self.channels_last = channels_last
        self.fuse = bool(fuse)
        self.compile = bool(compile)
        self._saved: tuple[Any, str, nn.Module] | None = None

    @staticmethod
    def _slot(runner: Any) -> tuple[Any, str]:
        """(owner, attribute) of the module that the test loop calls."""
        if is_model_wrapper(runner.model):
            return runner.model, "module"
        return runner, "model"

    def before_test_epoch(self, runner: Any) -> None:
        owner, name = self._slot(runner)
        model = getattr(owner, name)
        fast = optimize_for_inference(
            copy.deepcopy(model),
            fuse=self.fuse,
            channels_last=self.channels_last,
            compile=self.compile,
        )
        self._saved = (owner, name, model)
        setattr(owner, name, fast)
        log_to_file_only(
            runner.logger,
            f"Testing on the fast inference path: {getattr(fast, 'fused_conv_bn', 0)} "
            "BatchNorm(s) folded into their convolutions (--no-fuse tests the model as trained)"
            + ("; backbone and neck compiled (torch.compile)." if self.compile else "."),
        )

    def after_test_epoch(self, runner: Any, metrics: dict | None = None) -> None:
        if self._saved is not None:
            owner, name, model = self._saved
            setattr(owner, name, model)
            self._saved = None
