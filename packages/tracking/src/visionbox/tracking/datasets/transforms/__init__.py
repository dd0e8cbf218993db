"""Tracking transforms: loading track annotations and packing frames; SOT pair transforms."""

from .formatting import PackTrackInputs
from .loading import LoadTrackAnnotations
from .sot_crop import SeqCropLikeSiamFC, SeqShiftScaleAug
from .sot_formatting import PackSOTInputs
from .sot_photometric import SeqBlurAug, SeqColorAug
from .sot_sampling import LoadMultiImagesFromFile, PairSampling

__all__ = [
    "LoadMultiImagesFromFile",
    "LoadTrackAnnotations",
    "PackSOTInputs",
    "PackTrackInputs",
    "PairSampling",
    "SeqBlurAug",
    "SeqColorAug",
    "SeqCropLikeSiamFC",
    "SeqShiftScaleAug",
]
