"""Tracking transforms: loading track annotations and packing frames."""

from .formatting import PackTrackInputs
from .loading import LoadTrackAnnotations

__all__ = ["LoadTrackAnnotations", "PackTrackInputs"]
