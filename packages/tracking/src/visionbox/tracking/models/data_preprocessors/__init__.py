"""Data preprocessors of tracking models."""

from .track_data_preprocessor import TrackDataPreprocessor

__all__ = ["TrackDataPreprocessor"]
