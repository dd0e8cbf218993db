"""Samplers of video datasets."""

from .track_img_sampler import TrackImgSampler

__all__ = ["TrackImgSampler"]
