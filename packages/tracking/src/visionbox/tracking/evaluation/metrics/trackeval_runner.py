"""Run TrackEval (Luiten et al., HOTA, IJCV 2021; the MOTChallenge reference) on MOTChallenge
files and summarise its results.

``evaluate_mot_files(gt_root, results_dir)`` evaluates ``results_dir/<seq>.txt`` against
``gt_root/<seq>/gt/gt.txt`` (+ ``seqinfo.ini``) with TrackEval's ``MotChallenge2DBox`` and its
HOTA, CLEAR and Identity metrics, and returns ``{"<seq>": {...}, "COMBINED": {...}}`` with the
keys of :data:`SUMMARY_KEYS`: rates as fractions in [0, 1], counts as integers.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Sequence

import numpy as np

from visionbox.core.datasets import read_seqinfo

__all__ = ["SUMMARY_KEYS", "RATE_KEYS", "COUNT_KEYS", "evaluate_mot_files", "summarise"]

#: Rates (fractions) and counts reported per sequence and combined.
RATE_KEYS = ("HOTA", "DetA", "AssA", "MOTA", "MOTP", "IDF1")
COUNT_KEYS = ("IDs", "FP", "FN", "MT", "ML", "Frag")
SUMMARY_KEYS = RATE_KEYS + COUNT_KEYS
_METRIC_FAMILIES = ("HOTA", "CLEAR", "Identity")
_TRACKEVAL_KEYS = {
    "MOTA": ("CLEAR", "MOTA"),
    "MOTP": ("CLEAR", "MOTP"),
    "IDF1": ("Identity", "IDF1"),
    "IDs": ("CLEAR", "IDSW"),
    "FP": ("CLEAR", "CLR_FP"),
    "FN": ("CLEAR", "CLR_FN"),
    "MT": ("CLEAR", "MT"),
    "ML": ("CLEAR", "ML"),
    "Frag": ("CLEAR", "Frag"),
}


def summarise(class_result: dict) -> dict:
    """TrackEval's per-class result of one sequence -> the :data:`SUMMARY_KEYS` dict."""
    out: dict = {}
    if "HOTA" in class_result:
        for key in ("HOTA", "DetA", "AssA"):
            out[key] = float(np.mean(class_result["HOTA"][key]))
    for key, (family, name) in _TRACKEVAL_KEYS.items():
        if family in class_result:
            value = class_result[family][name]
            out[key] = int(round(float(value))) if key in COUNT_KEYS else float(value)
    return out


def _sequences(gt_root: str, seqmap: str | None) -> list[str]:
    if seqmap is not None:
        from visionbox.tracking.datasets.mot_challenge_dataset import read_seqmap

        return read_seqmap(seqmap)
    if not os.path.isdir(gt_root):
        raise FileNotFoundError(f"ground-truth folder not found: {gt_root!r}")
    return sorted(
        d for d in os.listdir(gt_root) if os.path.isfile(os.path.join(gt_root, d, "gt", "gt.txt"))
    )


def evaluate_mot_files(
    gt_root: str,
    results_dir: str,
    seqmap: str | None = None,
    metrics: Sequence[str] = _METRIC_FAMILIES,
    benchmark: str = "MOT17",
    track_iou_thr: float = 0.5,
    do_preproc: bool = True,
) -> dict[str, dict]:
    """Evaluate MOTChallenge result files with TrackEval.

    Args:
        gt_root: Folder of sequence folders ``<seq>/gt/gt.txt`` with ``seqinfo.ini``.
        results_dir: Folder of ``<seq>.txt`` results (``frame,id,x,y,w,h,score,-1,-1,-1``).
        seqmap: Seqmap file of the sequences to evaluate (default: every sequence with gt).
        metrics: TrackEval metric families among ``HOTA``, ``CLEAR``, ``Identity``.
        benchmark: ``MOT15`` to ``MOT20`` (MOT15 has no classes and no preprocessing).
        track_iou_thr: IoU threshold of CLEAR and Identity.
        do_preproc: TrackEval's MOTChallenge preprocessing (remove results matched to
            distractors, keep pedestrians).

    Returns:
        ``{"<seq>": summary, ..., "COMBINED": summary}`` (see :func:`summarise`).

    Raises:
        FileNotFoundError: naming a missing ground-truth or result file.
    """
    import trackeval

    unknown = set(metrics) - set(_METRIC_FAMILIES)
    if unknown:
        raise ValueError(f"Unknown metrics {sorted(unknown)}; choose from {_METRIC_FAMILIES}.")
    seqs = _sequences(gt_root, seqmap)
    if not seqs:
        raise FileNotFoundError(f"no sequence with gt/gt.txt under {gt_root!r}")
    seq_info = {}
    for seq in seqs:
        for path in (
            os.path.join(gt_root, seq, "gt", "gt.txt"),
            os.path.join(results_dir, seq + ".txt"),
        ):
            if not os.path.isfile(path):
                raise FileNotFoundError(f"MOTChallenge file not found: {path!r}")
        seq_info[seq] = read_seqinfo(os.path.join(gt_root, seq, "seqinfo.ini"))["seqLength"]
    results_dir = os.path.abspath(results_dir)
    with tempfile.TemporaryDirectory() as out_dir:
        eval_config = dict(
            trackeval.Evaluator.get_default_eval_config(),
            USE_PARALLEL=False,
            PRINT_RESULTS=False,
            PRINT_CONFIG=False,
            TIME_PROGRESS=False,
            OUTPUT_SUMMARY=False,
            OUTPUT_DETAILED=False,
            PLOT_CURVES=False,
            DISPLAY_LESS_PROGRESS=True,
        )
        dataset_config = dict(
            trackeval.datasets.MotChallenge2DBox.get_default_dataset_config(),
            GT_FOLDER=os.path.abspath(gt_root),
            TRACKERS_FOLDER=os.path.dirname(results_dir),
            TRACKERS_TO_EVAL=[os.path.basename(results_dir)],
            TRACKER_SUB_FOLDER="",
            OUTPUT_FOLDER=out_dir,
            BENCHMARK=benchmark,
            SKIP_SPLIT_FOL=True,
            SEQ_INFO=seq_info,
            DO_PREPROC=do_preproc,
            PRINT_CONFIG=False,
        )
        metric_objs = []
        for family in metrics:
            cls = getattr(trackeval.metrics, family)
            if family == "HOTA":
                metric_objs.append(cls(dict(PRINT_CONFIG=False)))
            else:
                metric_objs.append(cls(dict(THRESHOLD=track_iou_thr, PRINT_CONFIG=False)))
        evaluator = trackeval.Evaluator(eval_config)
        dataset = trackeval.datasets.MotChallenge2DBox(dataset_config)
        with contextlib.redirect_stdout(io.StringIO()):
            output, messages = evaluator.evaluate([dataset], metric_objs)
    tracker = os.path.basename(results_dir)
    per_seq = output["MotChallenge2DBox"][tracker]
    message = messages["MotChallenge2DBox"][tracker]
    if message != "Success":
        raise RuntimeError(f"TrackEval failed: {message}")
    summary = {seq: summarise(per_seq[seq]["pedestrian"]) for seq in seqs}
    summary["COMBINED"] = summarise(per_seq["COMBINED_SEQ"]["pedestrian"])
    return summary
