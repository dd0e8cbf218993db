"""Data structures of tracking."""

from .track_data_sample import FrameDataSample, TrackDataSample

__all__ = ["FrameDataSample", "TrackDataSample"]
