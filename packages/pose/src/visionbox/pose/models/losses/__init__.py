"""Losses of pose models (mmpose 1.x names, arguments and semantics)."""

from .ae_loss import AssociativeEmbeddingLoss
from .classification_loss import BCELoss, KLDiscretLoss
from .heatmap_loss import KeypointMSELoss, KeypointOHKMMSELoss
from .realnvp import RealNVP
from .regression_loss import MPJPELoss, MSELoss, RLELoss, SmoothL1Loss

__all__ = [
    "AssociativeEmbeddingLoss",
    "BCELoss",
    "KLDiscretLoss",
    "KeypointMSELoss",
    "KeypointOHKMMSELoss",
    "MPJPELoss",
    "MSELoss",
    "RLELoss",
    "RealNVP",
    "SmoothL1Loss",
]
