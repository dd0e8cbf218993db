"""Losses of tracking models."""

from .track_losses import MarginL2Loss, MultiPosCrossEntropyLoss

__all__ = ["MarginL2Loss", "MultiPosCrossEntropyLoss"]
