"""``ExpMomentumEMA`` lives in core (every task's EMA recipe uses it). The same class is
registered in detection's ``MODELS`` too, so ``'detection.ExpMomentumEMA'`` (as tracking configs
write it) and imports from ``visionbox.detection.models.layers`` keep working."""

from visionbox.core.models.layers.ema import ExpMomentumEMA

from ...registry import MODELS

MODELS.register_module(module=ExpMomentumEMA)

__all__ = ["ExpMomentumEMA"]
