"""Tracking datasets, samplers and transforms."""

from . import samplers, sot, transforms
from .mot_challenge_dataset import MOTChallengeDataset, read_seqmap
from .reid_dataset import PackReIDInputs, ReIDDataset, cut_reid_crops
from .samplers import TrackImgSampler
from .sot import (
    BaseSOTDataset,
    GOT10kDataset,
    LaSOTDataset,
    OTBDataset,
    QuotaSampler,
    RandomSampleConcatDataset,
    ShapesSOTDataset,
    SOTCocoDataset,
    SOTImageNetVIDDataset,
    TrackingNetDataset,
)
from .transforms import LoadTrackAnnotations, PackTrackInputs

__all__ = [
    "BaseSOTDataset",
    "GOT10kDataset",
    "LaSOTDataset",
    "OTBDataset",
    "QuotaSampler",
    "RandomSampleConcatDataset",
    "SOTCocoDataset",
    "SOTImageNetVIDDataset",
    "ShapesSOTDataset",
    "TrackingNetDataset",
    "sot",
    "LoadTrackAnnotations",
    "MOTChallengeDataset",
    "PackReIDInputs",
    "PackTrackInputs",
    "ReIDDataset",
    "TrackImgSampler",
    "cut_reid_crops",
    "read_seqmap",
    "samplers",
    "transforms",
]
