"""Data preprocessors shared by the task models."""

from .data_preprocessor import BatchImgDataPreprocessor

__all__ = ["BatchImgDataPreprocessor"]
