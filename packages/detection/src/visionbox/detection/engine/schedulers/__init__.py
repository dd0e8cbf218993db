"""Parameter schedulers of the detection recipes."""

from .quadratic_warmup import (
    QuadraticWarmupLR,
    QuadraticWarmupMomentum,
    QuadraticWarmupParamScheduler,
)

__all__ = ["QuadraticWarmupLR", "QuadraticWarmupMomentum", "QuadraticWarmupParamScheduler"]
