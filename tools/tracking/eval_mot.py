"""Evaluate MOTChallenge-format tracking results with TrackEval.

    python tools/tracking/eval_mot.py GT_ROOT RESULTS_DIR [--seqmap FILE] [--out FILE.json]
        [--benchmark MOT17] [--iou-thr 0.5] [--no-preproc]

GT_ROOT holds ``<seq>/gt/gt.txt`` and ``<seq>/seqinfo.ini`` (MOT15 to MOT20 layouts);
RESULTS_DIR holds ``<seq>.txt`` (``frame,id,x,y,w,h,score,-1,-1,-1``). Prints a table and, with
--out, writes ``{"<seq>": {"HOTA": ..., "MOTA": ..., "IDF1": ..., ...}, "COMBINED": {...}}``
with rates as fractions in [0, 1] and counts as integers.
"""

from __future__ import annotations

import argparse
import json

from visionbox.tracking.evaluation.metrics.trackeval_runner import (
    COUNT_KEYS,
    SUMMARY_KEYS,
    evaluate_mot_files,
)


def format_table(summary: dict[str, dict]) -> str:
    """A text table: one row per sequence and COMBINED; rates in percent."""
    width = max(len(k) for k in summary) + 2
    lines = [f"{'sequence':<{width}}" + "".join(f"{k:>8}" for k in SUMMARY_KEYS)]
    for seq, row in summary.items():
        cells = []
        for key in SUMMARY_KEYS:
            value = row.get(key)
            if value is None:
                cells.append(f"{'-':>8}")
            elif key in COUNT_KEYS:
                cells.append(f"{value:>8d}")
            else:
                cells.append(f"{100 * value:>8.2f}")
        lines.append(f"{seq:<{width}}" + "".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("gt_root", help="folder of <seq>/gt/gt.txt and <seq>/seqinfo.ini")
    parser.add_argument("results_dir", help="folder of <seq>.txt results")
    parser.add_argument("--seqmap", help="seqmap file of the sequences to evaluate")
    parser.add_argument("--out", help="write the metrics as JSON")
    parser.add_argument("--benchmark", default="MOT17", help="MOT15, MOT16, MOT17 or MOT20")
    parser.add_argument(
        "--iou-thr", type=float, default=0.5, help="IoU threshold of CLEAR/Identity"
    )
    parser.add_argument("--no-preproc", action="store_true", help="skip TrackEval's preprocessing")
    args = parser.parse_args(argv)
    summary = evaluate_mot_files(
        args.gt_root,
        args.results_dir,
        seqmap=args.seqmap,
        benchmark=args.benchmark,
        track_iou_thr=args.iou_thr,
        do_preproc=not args.no_preproc,
    )
    print(format_table(summary))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2)
    return summary


if __name__ == "__main__":
    main()
