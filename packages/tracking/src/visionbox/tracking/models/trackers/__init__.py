"""Multi-object trackers."""

from .base_tracker import BaseTracker
from .byte_tracker import ByteTracker
from .ocsort_tracker import OCSORTTracker
from .quasi_dense_tracker import QuasiDenseTracker
from .sort_tracker import SORTTracker
from .strongsort_tracker import StrongSORTTracker

__all__ = [
    "BaseTracker",
    "ByteTracker",
    "OCSORTTracker",
    "QuasiDenseTracker",
    "SORTTracker",
    "StrongSORTTracker",
]
