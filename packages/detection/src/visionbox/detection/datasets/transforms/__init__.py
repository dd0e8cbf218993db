"""Detection transforms: annotation loading and packing (generic ones come from core)."""

from .cached_mix_img_transforms import CachedMixUp, CachedMosaic
from .filter_annotations import FilterAnnotations
from .formatting import PackDetInputs
from .geometric import RandomAffine
from .loading import LoadAnnotations, poly2mask
from .mix_img_transforms import MixUp, Mosaic
from .photometric import YOLOXHSVRandomAug

__all__ = [
    "CachedMixUp",
    "CachedMosaic",
    "FilterAnnotations",
    "LoadAnnotations",
    "MixUp",
    "Mosaic",
    "PackDetInputs",
    "RandomAffine",
    "YOLOXHSVRandomAug",
    "poly2mask",
]
