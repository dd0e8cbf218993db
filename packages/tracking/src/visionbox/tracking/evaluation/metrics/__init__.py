"""Tracking metrics."""

from .mot_challenge_metric import MOTChallengeMetric, write_mot_results
from .sot_metric import SOTMetric, eval_sot_ope, format_sot_table, sot_curves
from .trackeval_runner import SUMMARY_KEYS, evaluate_mot_files, summarise

__all__ = [
    "MOTChallengeMetric",
    "SOTMetric",
    "SUMMARY_KEYS",
    "eval_sot_ope",
    "evaluate_mot_files",
    "format_sot_table",
    "sot_curves",
    "summarise",
    "write_mot_results",
]
