"""Data structures shared by every task: the data-sample base and instance masks."""

from .data_sample import BaseDataSample
from .masks import BitmapMasks, PolygonMasks, rescale_size

__all__ = ["BaseDataSample", "BitmapMasks", "PolygonMasks", "rescale_size"]
