"""Tracking datasets, samplers and transforms."""

from . import samplers, transforms
from .mot_challenge_dataset import MOTChallengeDataset, read_seqmap
from .samplers import TrackImgSampler
from .transforms import LoadTrackAnnotations, PackTrackInputs

__all__ = [
    "LoadTrackAnnotations",
    "MOTChallengeDataset",
    "PackTrackInputs",
    "TrackImgSampler",
    "read_seqmap",
    "samplers",
    "transforms",
]
