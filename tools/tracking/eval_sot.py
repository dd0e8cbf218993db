"""Evaluate single-object tracking results with one-pass evaluation (OPE).

    python tools/tracking/eval_sot.py GT_ROOT RESULTS_DIR [--out FILE.json]

GT_ROOT holds ``<seq>/groundtruth.txt`` (``x,y,w,h`` per frame); RESULTS_DIR holds ``<seq>.txt``
(``x,y,w,h`` per frame; commas, tabs or spaces) for every sequence of GT_ROOT. Prints success
(AUC over IoU thresholds 0:0.05:1), precision (20 px) and normalised precision (0.2) per sequence
and OVERALL, and with --out writes
``{"<seq>": {"success": ..., "precision": ..., "norm_precision": ...}, "OVERALL": {...}}``
as fractions in [0, 1]. Frames are scored as mmtracking's ``eval_sot_ope`` scores them (see
:mod:`visionbox.tracking.evaluation.metrics.sot_metric`): a missing or empty ground-truth box
(``0,0,0,0`` for absent targets) is a miss for success but a hit for both precisions.
"""

from __future__ import annotations

import argparse
import json
import os

from visionbox.core.datasets import read_sot_groundtruth
from visionbox.tracking.datasets.sot import xywh_to_xyxy
from visionbox.tracking.evaluation.metrics.sot_metric import eval_sot_ope, format_sot_table


def evaluate_sot_files(gt_root: str, results_dir: str) -> dict[str, dict[str, float]]:
    """OPE figures of ``results_dir/<seq>.txt`` against ``gt_root/<seq>/groundtruth.txt``."""
    if not os.path.isdir(gt_root):
        raise FileNotFoundError(f"ground-truth folder not found: {gt_root!r}")
    seqs = sorted(
        n
        for n in os.listdir(gt_root)
        if os.path.isfile(os.path.join(gt_root, n, "groundtruth.txt"))
    )
    if not seqs:
        raise FileNotFoundError(f"no <seq>/groundtruth.txt in {gt_root!r}")
    gts, preds = {}, {}
    for seq in seqs:
        gts[seq] = xywh_to_xyxy(read_sot_groundtruth(os.path.join(gt_root, seq, "groundtruth.txt")))
        result = os.path.join(results_dir, f"{seq}.txt")
        if not os.path.isfile(result):
            raise FileNotFoundError(f"results of sequence {seq!r} not found: {result!r}")
        preds[seq] = xywh_to_xyxy(read_sot_groundtruth(result))
        if len(preds[seq]) != len(gts[seq]):
            raise ValueError(
                f"{result}: {len(preds[seq])} boxes for {len(gts[seq])} ground-truth frames"
            )
    return eval_sot_ope(preds, gts)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("gt_root", help="folder of <seq>/groundtruth.txt")
    parser.add_argument("results_dir", help="folder of <seq>.txt results (x,y,w,h per frame)")
    parser.add_argument("--out", help="write the figures as JSON")
    args = parser.parse_args(argv)
    figures = evaluate_sot_files(args.gt_root, args.results_dir)
    print(format_sot_table(figures))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=2)
    return figures


if __name__ == "__main__":
    main()
