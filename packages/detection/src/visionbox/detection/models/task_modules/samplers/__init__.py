"""Samplers of positive and negative priors."""

from .random_sampler import PseudoSampler, RandomSampler
from .sampling_result import SamplingResult

__all__ = ["PseudoSampler", "RandomSampler", "SamplingResult"]
