"""Data preprocessors of detectors."""

from .batch_resize import BatchSyncRandomResize
from .data_preprocessor import DetDataPreprocessor

__all__ = ["BatchSyncRandomResize", "DetDataPreprocessor"]
