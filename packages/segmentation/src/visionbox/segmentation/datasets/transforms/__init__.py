"""Transforms of VisionBox semantic segmentation; the generic ones come from core."""

from .formatting import PackSegInputs
from .loading import LoadAnnotations, apply_label_map, reduce_zero
from .transforms import RandomCrop

__all__ = ["LoadAnnotations", "PackSegInputs", "RandomCrop", "apply_label_map", "reduce_zero"]
