"""Exponential change of the learning rate used by SiamRPN++ (mmtracking's
``SiamRPNExpParamScheduler`` / ``SiamRPNExpLR``): from ``start_factor`` to ``end_factor`` times
the current value, by a constant factor per step, over the steps from ``begin`` to ``end``."""

from __future__ import annotations

import math

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler
from torch.optim import Optimizer

from ...registry import PARAM_SCHEDULERS

__all__ = ["SiamRPNExpLR", "SiamRPNExpParamScheduler"]


@PARAM_SCHEDULERS.register_module()
class SiamRPNExpParamScheduler(_ParamScheduler):
    """Multiply a parameter by ``start_factor`` at ``begin``, then by
    ``(end_factor / start_factor) ** (1 / T)`` at each later step, ``T = end - begin - 1`` with
    ``endpoint`` (the value reaches ``end_factor`` at the last step, ``end - 1``) and
    ``end - begin`` without (it would reach it at ``end``, where the next scheduler takes over).

    Args:
        optimizer: The wrapped optimizer.
        param_name: The parameter to schedule (``'lr'``).
        start_factor: Factor of the first step, in [0, 1].
        end_factor: Factor reached at the end, in [0, 1].
        begin / end: The steps (epochs, or iterations with ``convert_to_iter_based``) of the
            change; ``end`` must be finite.
        endpoint: Whether ``end_factor`` is reached at step ``end - 1``.
        last_step: The step of a resumed run.
        by_epoch: Whether steps are epochs.
        verbose: Print every update.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        param_name: str,
        start_factor: float = 0.1,
        end_factor: float = 1.0,
        begin: int = 0,
        end: int = INF,
        endpoint: bool = True,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        if end >= INF:
            raise ValueError("SiamRPNExp schedulers need a finite `end` (the last step + 1).")
        for name, factor in (("start_factor", start_factor), ("end_factor", end_factor)):
            if not 0 <= factor <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {factor}")
        if start_factor == 0:
            raise ValueError("start_factor must be > 0 (the factor changes by multiplication)")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.endpoint = endpoint
        self.total_iters = end - begin - 1 if endpoint else end - begin
        if self.total_iters <= 0:
            raise ValueError(f"SiamRPNExp schedulers need more steps: begin={begin}, end={end}")
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
        epoch_length: int | None = None,
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
        if self.last_step == 0:
            factor = self.start_factor
        else:
            factor = math.pow(self.end_factor / self.start_factor, 1 / self.total_iters)
        return [group[self.param_name] * factor for group in self.optimizer.param_groups]


@PARAM_SCHEDULERS.register_module()
class SiamRPNExpLR(LRSchedulerMixin, SiamRPNExpParamScheduler):
    """:class:`SiamRPNExpParamScheduler` of the learning rate (``param_name='lr'``).

    Args:
        optimizer: The wrapped optimizer.
        start_factor / end_factor / begin / end / endpoint / last_step / by_epoch / verbose:
            As in :class:`SiamRPNExpParamScheduler`.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 0.1,
        end_factor: float = 1.0,
        begin: int = 0,
        end: int = INF,
        endpoint: bool = True,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        # explicit keywords, so that a misspelt key in a config is reported with its suggestion
        super().__init__(
            optimizer,
            start_factor=start_factor,
            end_factor=end_factor,
            begin=begin,
            end=end,
            endpoint=endpoint,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose,
        )
