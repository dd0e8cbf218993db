"""Quadratic warm-up of the learning rate (or momentum) used by YOLOX: the value grows as
``base * (t / T) ** 2`` over the ``T`` steps from ``begin`` to ``end`` (mmdet 3.x's
``QuadraticWarmupParamScheduler``, ``QuadraticWarmupLR`` and ``QuadraticWarmupMomentum``)."""

from __future__ import annotations

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.momentum_scheduler import MomentumSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler
from torch.optim import Optimizer

from ...registry import PARAM_SCHEDULERS

__all__ = ["QuadraticWarmupLR", "QuadraticWarmupMomentum", "QuadraticWarmupParamScheduler"]


@PARAM_SCHEDULERS.register_module()
class QuadraticWarmupParamScheduler(_ParamScheduler):
    """Warm a parameter up quadratically from 0 to its base value.

    Step ``t`` (from 0) adds ``base * (2t + 1) / T**2``, so that after step ``t`` the value is
    ``base * ((t + 1) / T) ** 2``.

    Args:
        optimizer: The wrapped optimizer.
        param_name: The parameter to schedule (``'lr'``, ``'momentum'``).
        begin / end: The steps (epochs, or iterations with ``convert_to_iter_based``) of the
            warm-up; ``end`` must be finite.
        last_step: The step of a resumed run.
        by_epoch: Whether steps are epochs.
        verbose: Print every update.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        param_name: str,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        if end >= INF:
            raise ValueError(
                "QuadraticWarmup schedulers need a finite `end` (the last warm-up step)."
            )
        self.total_iters = end - begin
        super().__init__(
            optimizer=optimizer,
            param_name=param_name,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose,
        )

    @classmethod
    def build_iter_from_epoch(
        cls,
        *args,
        begin: int = 0,
        end: int = INF,
        by_epoch: bool = True,
        epoch_length=None,
        **kwargs,
    ):
        """The iteration-based scheduler of an epoch-based config."""
        if not by_epoch:
            raise ValueError("only epoch-based settings (by_epoch=True) convert to iterations")
        if epoch_length is None or epoch_length <= 0:
            raise ValueError(f"epoch_length must be a positive integer, got {epoch_length}")
        begin = begin * epoch_length
        if end != INF:
            end = end * epoch_length
        return cls(*args, begin=begin, end=end, by_epoch=False, **kwargs)

    def _get_value(self) -> list[float]:
        step = (2 * self.last_step + 1) / self.total_iters**2
        if self.last_step == 0:
            return [base * step for base in self.base_values]
        return [
            group[self.param_name] + base * step
            for base, group in zip(self.base_values, self.optimizer.param_groups)
        ]


@PARAM_SCHEDULERS.register_module()
class QuadraticWarmupLR(LRSchedulerMixin, QuadraticWarmupParamScheduler):
    """Quadratic warm-up of the learning rate; arguments as
    :class:`QuadraticWarmupParamScheduler` without ``param_name``."""


@PARAM_SCHEDULERS.register_module()
class QuadraticWarmupMomentum(MomentumSchedulerMixin, QuadraticWarmupParamScheduler):
    """Quadratic warm-up of the momentum; arguments as
    :class:`QuadraticWarmupParamScheduler` without ``param_name``."""
