"""Batch samplers of detection data loaders."""

from .batch_sampler import AspectRatioBatchSampler

__all__ = ["AspectRatioBatchSampler"]
