"""Evaluation of tracking results."""

from . import metrics
from .metrics import (
    MOTChallengeMetric,
    SOTMetric,
    eval_sot_ope,
    evaluate_mot_files,
    write_mot_results,
)

__all__ = [
    "MOTChallengeMetric",
    "SOTMetric",
    "eval_sot_ope",
    "evaluate_mot_files",
    "metrics",
    "write_mot_results",
]
