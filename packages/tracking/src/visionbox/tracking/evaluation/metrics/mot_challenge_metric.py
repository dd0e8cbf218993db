"""``MOTChallengeMetric``: HOTA (DetA, AssA), CLEAR (MOTA, MOTP, IDs, FP, FN, MT, ML, Frag) and
Identity (IDF1) of tracking results through TrackEval.

Predictions are gathered frame by frame from ``pred_track_instances`` and written as
MOTChallenge txt files (``frame,id,x,y,w,h,score,-1,-1,-1``, 1-based frames); the ground truth is
the sequence's own ``gt/gt.txt`` next to the frames (``img_path`` = ``<seq>/<imDir>/<frame>``),
restricted to the evaluated frames (for half splits), so the numbers are TrackEval's on the
original files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.structures import InstanceData

from visionbox.tracking.registry import METRICS, TASK_UTILS

from .trackeval_runner import evaluate_mot_files

__all__ = ["MOTChallengeMetric", "write_mot_results"]


def write_mot_results(path: str, rows: np.ndarray) -> None:
    """Write (M, 7) rows ``frame, id, x1, y1, x2, y2, score`` as a MOTChallenge result file."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, 7)
    rows = rows[np.lexsort((rows[:, 1], rows[:, 0]))]
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for frame, tid, x1, y1, x2, y2, score in rows:
            f.write(
                f"{int(frame)},{int(tid)},{x1:.3f},{y1:.3f},{x2 - x1:.3f},{y2 - y1:.3f},"
                f"{score:.4f},-1,-1,-1\n"
            )


def _write_gt(seq_dir: str, out_dir: str, frames: set[int]) -> None:
    """Copy a sequence's ``gt.txt`` (only the evaluated frames) and ``seqinfo.ini``."""
    os.makedirs(os.path.join(out_dir, "gt"), exist_ok=True)
    src = os.path.join(seq_dir, "gt", "gt.txt")
    if not os.path.isfile(src):
        raise FileNotFoundError(f"ground truth not found: {src!r}")
    with open(src, encoding="utf-8") as f, open(os.path.join(out_dir, "gt", "gt.txt"), "w") as g:
        g.writelines(
            line for line in f if line.strip() and int(float(line.split(",")[0])) in frames
        )
    shutil.copyfile(os.path.join(seq_dir, "seqinfo.ini"), os.path.join(out_dir, "seqinfo.ini"))


@METRICS.register_module()
class MOTChallengeMetric(BaseMetric):
    """MOTChallenge metrics through TrackEval.

    Args:
        metric: Metric families among ``'HOTA'``, ``'CLEAR'``, ``'Identity'``.
        outfile_prefix: Folder that keeps the result txt files (a temporary one otherwise).
        track_iou_thr: IoU threshold of CLEAR and Identity.
        benchmark: ``'MOT15'`` ... ``'MOT20'`` (TrackEval's preprocessing differs for MOT15).
        format_only: Only write the result files (no ground truth needed).
        use_postprocess: Post-process tracks with ``postprocess_tracklet_cfg``.
        postprocess_tracklet_cfg: Task-utility configs, by default linear interpolation of
            gaps (``InterpolateTracklets``).
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: Prefix of the metric names (``'motchallenge-metric'``).
    """

    allowed_metrics = ("HOTA", "CLEAR", "Identity")
    default_prefix = "motchallenge-metric"

    def __init__(
        self,
        metric: str | Sequence[str] = ("HOTA", "CLEAR", "Identity"),
        outfile_prefix: str | None = None,
        track_iou_thr: float = 0.5,
        benchmark: str = "MOT17",
        format_only: bool = False,
        use_postprocess: bool = False,
        postprocess_tracklet_cfg: list[dict] | None = None,
        collect_device: str = "cpu",
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        metrics = [metric] if isinstance(metric, str) else list(metric)
        for name in metrics:
            if name not in self.allowed_metrics:
                raise KeyError(
                    f"metric {name!r} is not supported; choose from {self.allowed_metrics}"
                )
        if format_only and outfile_prefix is None:
            raise ValueError("format_only=True needs outfile_prefix (where to write the results).")
        self.metrics = metrics
        self.outfile_prefix = outfile_prefix
        self.track_iou_thr = float(track_iou_thr)
        self.benchmark = benchmark
        self.format_only = format_only
        self.use_postprocess = use_postprocess
        cfgs = postprocess_tracklet_cfg
        if cfgs is None:
            cfgs = [dict(type="InterpolateTracklets", min_num_frames=5, max_num_frames=20)]
        self.postprocess_tracklet_methods = (
            [TASK_UTILS.build(c) for c in cfgs] if use_postprocess else []
        )

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        for sample in data_samples:
            # mmengine's Evaluator hands over ``to_dict()`` copies of the data samples
            if isinstance(sample, dict):
                frames = sample.get("video_data_samples", [sample])
            else:
                frames = getattr(sample, "video_data_samples", [sample])
            for frame in frames:
                self.results.append(self._frame_result(frame))

    @staticmethod
    def _frame_result(frame: Any) -> dict:
        if isinstance(frame, dict):
            meta, pred = frame, frame["pred_track_instances"]
        else:
            meta, pred = frame.metainfo, frame.pred_track_instances
        if isinstance(pred, dict):
            pred = InstanceData(**pred)
        bboxes = pred.bboxes.detach().cpu().numpy().reshape(-1, 4)
        frame_no = np.full(len(bboxes), int(meta.get("ori_frame_id", meta["frame_id"])) + 1)
        rows = np.column_stack(
            [
                frame_no,
                pred.instances_id.detach().cpu().numpy(),
                bboxes,
                pred.scores.detach().cpu().numpy(),
            ]
        )
        img_path = meta["img_path"]
        return dict(
            seq_dir=os.path.dirname(os.path.dirname(os.path.abspath(img_path))),
            frame=int(meta.get("ori_frame_id", meta["frame_id"])) + 1,
            video_name=meta.get("video_name")
            or os.path.basename(os.path.dirname(os.path.dirname(img_path))),
            rows=rows,
        )

    def compute_metrics(self, results: list[dict]) -> dict[str, float]:
        per_seq: dict[str, list[np.ndarray]] = defaultdict(list)
        seq_dirs: dict[str, str] = {}
        seen: dict[str, set[int]] = defaultdict(set)
        for res in results:
            per_seq[res["video_name"]].append(res["rows"])
            seq_dirs[res["video_name"]] = res["seq_dir"]
            seen[res["video_name"]].add(res["frame"])
        work = tempfile.mkdtemp()
        try:
            res_dir = self.outfile_prefix or os.path.join(work, "results")
            gt_dir = os.path.join(work, "gt")
            os.makedirs(gt_dir)
            for seq, rows in per_seq.items():
                rows = np.concatenate(rows, axis=0) if rows else np.zeros((0, 7))
                for method in self.postprocess_tracklet_methods:
                    rows = method(rows)
                write_mot_results(os.path.join(res_dir, f"{seq}.txt"), rows)
                _write_gt(seq_dirs[seq], os.path.join(gt_dir, seq), seen[seq])
            if self.format_only:
                return {}
            summary = evaluate_mot_files(
                gt_dir,
                res_dir,
                metrics=[m for m in ("HOTA", "CLEAR", "Identity") if m in self.metrics],
                benchmark=self.benchmark,
                track_iou_thr=self.track_iou_thr,
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return {k: v for k, v in summary["COMBINED"].items()}
