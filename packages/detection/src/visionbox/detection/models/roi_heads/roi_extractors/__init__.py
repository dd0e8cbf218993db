"""RoI feature extractors."""

from .single_level_roi_extractor import RoIAlign, RoIPool, SingleRoIExtractor, build_roi_layer

__all__ = ["RoIAlign", "RoIPool", "SingleRoIExtractor", "build_roi_layer"]
