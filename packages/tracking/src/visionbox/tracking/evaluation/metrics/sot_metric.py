"""One-pass evaluation (OPE) of single-object trackers (Wu et al. 2013, OTB; Müller et al. 2018
normalised precision), computed as mmtracking's ``eval_sot_ope`` (and pysot's OPE toolkit) do:

* success: fraction of frames with IoU > t for t in 0, 0.05, ..., 1 (21 thresholds); its mean
  over the thresholds is the success AUC. A frame whose ground truth is missing or empty
  (not ``x2 > x1`` and ``y2 > y1``) has IoU -1, a miss at every threshold. IoUs as mmdet's
  ``bbox_overlaps`` (union floored at 1e-6);
* precision: fraction of frames whose centre error is <= 20 px (curve over 0..50 px). A frame
  whose ground-truth centre is not > 0 in both coordinates (``0,0,0,0`` absent boxes, NaN) has
  error -1, so it counts as a **hit** at every threshold;
* normalised precision: the same with both centres divided by the ground-truth size
  (``wh + 1e-16``), at 0.20 (curve over 0..0.5); frames whose normalised ground-truth centre is
  not > 0 count as hits the same way;
* ``visible`` (``only_eval_visible``): only the visible frames are scored, but every curve is
  still divided by the full video length, so invisible frames weigh as misses.

Per sequence the curves give its figures; OVERALL averages the curves over the sequences.
Figures are fractions in [0, 1] (mmtracking reports percentages).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from visionbox.tracking.registry import METRICS

__all__ = [
    "IOU_THRS",
    "NORM_PIXEL_THRS",
    "PIXEL_THRS",
    "SOTMetric",
    "eval_sot_ope",
    "format_sot_table",
    "sot_curves",
]

IOU_THRS = np.arange(0, 1.05, 0.05)
PIXEL_THRS = np.arange(0, 51, 1)
NORM_PIXEL_THRS = PIXEL_THRS / 100.0


def _hit_rate(dist: np.ndarray, thrs: np.ndarray, video_length: int) -> np.ndarray:
    """Fraction of the video's frames with ``dist <= t`` for each threshold (-1 always hits)."""
    return (dist[None] <= thrs[:, None]).sum(1) / float(max(video_length, 1))


def _centre_dist(gt_c: np.ndarray, pred_c: np.ndarray) -> np.ndarray:
    """Centre distances; -1 where the ground-truth centre is not > 0 (mmtracking's
    ``success_error``)."""
    dist = np.full(len(gt_c), -1.0)
    valid = (gt_c > 0).all(1)
    dist[valid] = np.linalg.norm(gt_c[valid] - pred_c[valid], axis=1)
    return dist


def sot_curves(
    pred: np.ndarray, gt: np.ndarray, visible: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """OPE curves of one sequence.

    Args:
        pred: (F, 4) predicted boxes, x1y1x2y2.
        gt: (F, 4) ground-truth boxes, x1y1x2y2 (NaN or empty where unknown).
        visible: Optional (F,) bool mask: only these frames are scored; the curves are still
            divided by F.

    Returns:
        ``success`` (21,), ``precision`` (51,) and ``norm_precision`` (51,) curves.
    """
    pred = np.asarray(pred, np.float64).reshape(-1, 4)
    gt = np.asarray(gt, np.float64).reshape(-1, 4)
    if len(pred) != len(gt):
        raise ValueError(f"{len(pred)} predicted boxes for {len(gt)} ground-truth boxes")
    video_length = len(gt)
    if visible is not None:
        visible = np.asarray(visible, bool).reshape(-1)
        if len(visible) != video_length:
            raise ValueError(f"{len(visible)} visibility flags for {video_length} frames")
        pred, gt = pred[visible], gt[visible]
    with np.errstate(invalid="ignore"):
        valid = (gt[:, 2] > gt[:, 0]) & (gt[:, 3] > gt[:, 1])
        iou = np.full(len(gt), -1.0)
        g, p = gt[valid], pred[valid]
        inter_wh = np.clip(np.minimum(g[:, 2:], p[:, 2:]) - np.maximum(g[:, :2], p[:, :2]), 0, None)
        inter = inter_wh.prod(1)
        union = (g[:, 2:] - g[:, :2]).prod(1) + (p[:, 2:] - p[:, :2]).prod(1) - inter
        iou[valid] = inter / np.maximum(union, 1e-6)
        gt_c = (gt[:, :2] + gt[:, 2:]) / 2
        pred_c = (pred[:, :2] + pred[:, 2:]) / 2
        gt_wh = gt[:, 2:] - gt[:, :2] + 1e-16
        dist = _centre_dist(gt_c, pred_c)
        norm_dist = _centre_dist(gt_c / gt_wh, pred_c / gt_wh)
    return dict(
        success=(iou[None] > IOU_THRS[:, None]).sum(1) / float(max(video_length, 1)),
        precision=_hit_rate(dist, PIXEL_THRS, video_length),
        norm_precision=_hit_rate(norm_dist, NORM_PIXEL_THRS, video_length),
    )


def _figures(curves: dict[str, np.ndarray]) -> dict[str, float]:
    return dict(
        success=float(np.mean(curves["success"])),
        precision=float(curves["precision"][20]),
        norm_precision=float(curves["norm_precision"][20]),
    )


def eval_sot_ope(
    results: dict[str, np.ndarray],
    annotations: dict[str, np.ndarray],
    visible_infos: dict[str, np.ndarray] | None = None,
) -> dict[str, dict[str, float]]:
    """OPE figures per sequence and ``OVERALL``.

    Args:
        results: Sequence name -> (F, 4) predicted boxes, x1y1x2y2.
        annotations: Sequence name -> (F, 4) ground-truth boxes, x1y1x2y2.
        visible_infos: Optional sequence name -> (F,) bool: score only these frames (the
            curves are still divided by F, as in mmtracking).

    Returns:
        ``{"<seq>": {"success", "precision", "norm_precision"}, "OVERALL": {...}}``.
    """
    missing = sorted(set(annotations) - set(results))
    if missing:
        raise KeyError(f"no results for sequences {missing}")
    visible_infos = visible_infos or {}
    curves = {
        name: sot_curves(results[name], annotations[name], visible_infos.get(name))
        for name in sorted(annotations)
    }
    out = {name: _figures(c) for name, c in curves.items()}
    out["OVERALL"] = _figures(
        {
            k: np.mean([c[k] for c in curves.values()], axis=0)
            for k in ("success", "precision", "norm_precision")
        }
    )
    return out


def format_sot_table(figures: dict[str, dict[str, float]]) -> str:
    """A text table of :func:`eval_sot_ope`'s figures."""
    names = [n for n in figures if n != "OVERALL"] + ["OVERALL"]
    width = max(len(n) for n in names)
    lines = [f"{'sequence':<{width}}  success  precision  norm_precision"]
    for name in names:
        f = figures[name]
        lines.append(
            f"{name:<{width}}  {f['success']:7.4f}  {f['precision']:9.4f}  "
            f"{f['norm_precision']:14.4f}"
        )
    return "\n".join(lines)


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


@METRICS.register_module()
class SOTMetric(BaseMetric):
    """OPE success, precision and normalised precision of tracked videos.

    Args:
        metric: ``'OPE'``.
        metric_options: ``dict(only_eval_visible=True)`` evaluates only the frames whose
            metainfo has ``visible=True`` (LaSOT's protocol; pack ``visible`` with
            ``PackTrackInputs(meta_keys=...)``), dividing by the full video length as
            mmtracking does; by default every frame counts.
        outfile_prefix: Folder to write ``<video_name>.txt`` results (``x,y,w,h`` per frame).
        format_only: Only write the results.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: Prefix of the metric names (``'sot'``).
    """

    default_prefix = "sot"

    def __init__(
        self,
        metric: str | Sequence[str] = "OPE",
        metric_options: dict | None = None,
        outfile_prefix: str | None = None,
        format_only: bool = False,
        collect_device: str = "cpu",
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        metrics = [metric] if isinstance(metric, str) else list(metric)
        if metrics != ["OPE"]:
            raise KeyError(f"SOTMetric supports metric='OPE', got {metric!r}")
        if format_only and outfile_prefix is None:
            raise ValueError("format_only=True needs outfile_prefix (where to write the results).")
        options = dict(metric_options or {})
        unknown = set(options) - {"only_eval_visible"}
        if unknown:
            raise KeyError(
                f"SOTMetric metric_options: unknown {sorted(unknown)}; allowed: "
                "['only_eval_visible']"
            )
        self.only_eval_visible = bool(options.get("only_eval_visible", False))
        self.metrics = metrics
        self.outfile_prefix = outfile_prefix
        self.format_only = format_only

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        for sample in data_samples:
            frames = _get(sample, "video_data_samples") or [sample]
            for frame in frames:
                meta = frame if isinstance(frame, dict) else frame.metainfo
                pred = _get(frame, "pred_track_instances")
                gt_inst = _get(frame, "gt_instances")
                gt_boxes = None if gt_inst is None else _get(gt_inst, "bboxes")
                gt = np.full(4, np.nan)
                if gt_boxes is not None and len(gt_boxes):
                    gt = np.asarray(gt_boxes[0].detach().cpu(), np.float64)
                self.results.append(
                    dict(
                        video=meta.get("video_name", meta.get("video_id")),
                        frame_id=int(meta["frame_id"]),
                        pred=np.asarray(_get(pred, "bboxes")[0].detach().cpu(), np.float64),
                        gt=gt,
                        visible=bool(meta.get("visible", True)),
                    )
                )

    def compute_metrics(self, results: list[dict]) -> dict[str, float]:
        videos: dict[Any, list[dict]] = defaultdict(list)
        for res in results:
            videos[str(res["video"])].append(res)
        preds, gts, visible = {}, {}, {}
        for name, frames in videos.items():
            frames = sorted(frames, key=lambda r: r["frame_id"])
            preds[name] = np.stack([f["pred"] for f in frames])
            gts[name] = np.stack([f["gt"] for f in frames])
            visible[name] = np.array([f["visible"] for f in frames], bool)
        if self.outfile_prefix:
            os.makedirs(self.outfile_prefix, exist_ok=True)
            for name, boxes in preds.items():
                xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)
                path = os.path.join(self.outfile_prefix, f"{name.replace('/', '_')}.txt")
                np.savetxt(path, xywh, fmt="%.4f", delimiter=",")
        if self.format_only:
            return {}
        figures = eval_sot_ope(preds, gts, visible if self.only_eval_visible else None)
        MMLogger.get_current_instance().info("\n" + format_sot_table(figures))
        return dict(figures["OVERALL"])
