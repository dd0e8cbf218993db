"""Detection transforms: annotation loading and packing (generic ones come from core)."""

from .filter_annotations import FilterAnnotations
from .formatting import PackDetInputs
from .geometric import RandomAffine
from .loading import LoadAnnotations, poly2mask
from .mix_img_transforms import MixUp, Mosaic
from .photometric import YOLOXHSVRandomAug

__all__ = [
    "FilterAnnotations",
    "LoadAnnotations",
    "MixUp",
    "Mosaic",
    "PackDetInputs",
    "RandomAffine",
    "YOLOXHSVRandomAug",
    "poly2mask",
]
