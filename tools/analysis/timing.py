"""Timing helpers shared by the ``benchmark_*.py`` scripts: alternating medians and MAC counts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

__all__ = ["compare", "count_macs", "timed"]


def timed(fn: Callable[[], None]) -> float:
    """Seconds of one call of ``fn``."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(
    ours: Callable[[], None], theirs: Callable[[], None], repeats: int, warmup: bool = True
) -> tuple[float, float]:
    """Medians of ``repeats`` alternating timed runs (which goes first alternates), after one
    warm-up run of each unless ``warmup`` is False (when the caller has run both already)."""
    if warmup:
        ours()
        theirs()
    ours_times, their_times = [], []
    for i in range(repeats):
        first, second = (ours, theirs) if i % 2 == 0 else (theirs, ours)
        t_first, t_second = timed(first), timed(second)
        ours_times.append(t_first if first is ours else t_second)
        their_times.append(t_second if first is ours else t_first)
    return statistics.median(ours_times), statistics.median(their_times)


def count_macs(fn: Callable[[], None], model: nn.Module) -> int:
    """Run ``fn`` once and return the multiply-accumulates of ``model``'s conv and linear layers."""
    total = 0

    def conv_hook(module: nn.Conv2d, _inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        kh, kw = module.kernel_size
        total += output.numel() * (module.in_channels // module.groups) * kh * kw

    def linear_hook(module: nn.Linear, _inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        total += output.numel() * module.in_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    try:
        fn()
    finally:
        for handle in handles:
            handle.remove()
    return total
