"""Tracking datasets, samplers and transforms."""

from . import samplers, transforms
from .mot_challenge_dataset import MOTChallengeDataset, read_seqmap
from .reid_dataset import PackReIDInputs, ReIDDataset, cut_reid_crops
from .samplers import TrackImgSampler
from .transforms import LoadTrackAnnotations, PackTrackInputs

__all__ = [
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
