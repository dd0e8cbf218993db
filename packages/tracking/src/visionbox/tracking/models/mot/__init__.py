"""Multi-object tracking models."""

from .base import BaseMOTModel
from .bytetrack import OCSORT, ByteTrack
from .deep_sort import DeepSORT
from .qdtrack import QDTrack
from .strongsort import StrongSORT

__all__ = ["BaseMOTModel", "ByteTrack", "DeepSORT", "OCSORT", "QDTrack", "StrongSORT"]
