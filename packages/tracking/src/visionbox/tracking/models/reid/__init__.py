"""Re-identification: ``BaseReID``, its neck, head, losses and data preprocessor."""

from .base_reid import BaseReID
from .data_preprocessor import ReIDDataPreprocessor
from .fc_module import FcModule
from .gap import GlobalAveragePooling
from .linear_reid_head import LinearReIDHead
from .triplet_loss import TripletLoss

__all__ = [
    "BaseReID",
    "FcModule",
    "GlobalAveragePooling",
    "LinearReIDHead",
    "ReIDDataPreprocessor",
    "TripletLoss",
]
