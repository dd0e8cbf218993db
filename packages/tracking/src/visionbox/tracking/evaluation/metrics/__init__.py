"""Tracking metrics."""

from .mot_challenge_metric import MOTChallengeMetric, write_mot_results
from .trackeval_runner import SUMMARY_KEYS, evaluate_mot_files, summarise

__all__ = [
    "MOTChallengeMetric",
    "SUMMARY_KEYS",
    "evaluate_mot_files",
    "summarise",
    "write_mot_results",
]
