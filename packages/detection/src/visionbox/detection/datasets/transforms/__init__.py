"""Detection transforms: annotation loading and packing (generic ones come from core)."""

from .formatting import PackDetInputs
from .loading import LoadAnnotations, poly2mask

__all__ = ["LoadAnnotations", "PackDetInputs", "poly2mask"]
