"""Data structures of VisionBox semantic segmentation."""

from .seg_data_sample import SegDataSample

__all__ = ["SegDataSample"]
