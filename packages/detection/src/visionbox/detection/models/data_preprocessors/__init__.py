"""Data preprocessors of detectors."""

from .data_preprocessor import DetDataPreprocessor

__all__ = ["DetDataPreprocessor"]
