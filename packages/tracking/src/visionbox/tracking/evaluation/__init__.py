"""Evaluation of tracking results."""

from . import metrics
from .metrics import MOTChallengeMetric, evaluate_mot_files, write_mot_results

__all__ = ["MOTChallengeMetric", "evaluate_mot_files", "metrics", "write_mot_results"]
