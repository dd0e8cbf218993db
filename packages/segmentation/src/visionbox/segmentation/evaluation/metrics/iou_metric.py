"""``IoUMetric``: mIoU / mDice / mFscore from a confusion matrix (mmseg 1.x names and output).

The metric keeps one (K, K) int64 confusion matrix (rows: ground truth, columns: prediction)
that every ``process()`` call adds to, so memory stays flat however many images are evaluated;
in distributed runs each process contributes its matrix and they are summed. Pixels labelled
``ignore_index`` (or any label outside [0, K)) are not counted.

Per class c, with I = cm[c, c], P = cm[:, c].sum() (predicted), L = cm[c, :].sum() (labelled):
IoU = I / (P + L - I), Acc = Recall = I / L, Dice = 2I / (P + L), Precision = I / P,
Fscore = (1 + beta²) Precision Recall / (beta² Precision + Recall); aAcc = trace / total.
Summaries are NaN-ignoring means in percent, rounded to 2 decimals, as mmseg reports them.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from ...registry import METRICS

__all__ = ["IoUMetric", "confusion_matrix", "metrics_from_confusion"]

ALLOWED_METRICS = ("mIoU", "mDice", "mFscore")


def confusion_matrix(
    pred: torch.Tensor, label: torch.Tensor, num_classes: int, ignore_index: int = 255
) -> torch.Tensor:
    """(K, K) int64 counts of (label, pred) pairs over the valid pixels of two (H, W) maps."""
    pred = pred.reshape(-1).long()
    label = label.reshape(-1).long()
    valid = (label != ignore_index) & (label >= 0) & (label < num_classes)
    index = label[valid] * num_classes + pred[valid].clamp(0, num_classes - 1)
    return torch.bincount(index, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes
    )


def metrics_from_confusion(
    cm: np.ndarray,
    metrics: Sequence[str] = ("mIoU",),
    nan_to_num: float | None = None,
    beta: float = 1.0,
) -> OrderedDict:
    """Per-class metrics (fractions, NaN where undefined) and ``aAcc`` from a (K, K) matrix."""
    cm = cm.astype(np.float64)
    intersect = np.diag(cm)
    area_pred = cm.sum(axis=0)
    area_label = cm.sum(axis=1)
    out: OrderedDict = OrderedDict(aAcc=intersect.sum() / area_label.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        for metric in metrics:
            if metric == "mIoU":
                out["IoU"] = intersect / (area_pred + area_label - intersect)
                out["Acc"] = intersect / area_label
            elif metric == "mDice":
                out["Dice"] = 2 * intersect / (area_pred + area_label)
                out["Acc"] = intersect / area_label
            elif metric == "mFscore":
                precision = intersect / area_pred
                recall = intersect / area_label
                b2 = beta**2
                out["Fscore"] = (1 + b2) * precision * recall / (b2 * precision + recall)
                out["Precision"] = precision
                out["Recall"] = recall
    if nan_to_num is not None:
        out = OrderedDict((k, np.nan_to_num(v, nan=nan_to_num)) for k, v in out.items())
    return out


@METRICS.register_module()
class IoUMetric(BaseMetric):
    """Semantic segmentation metrics over a dataset.

    Args:
        ignore_index: Label not evaluated.
        iou_metrics: Any of ``'mIoU'``, ``'mDice'``, ``'mFscore'``.
        nan_to_num: Value replacing NaN per-class metrics (classes absent from labels and
            predictions) before averaging; ``None`` leaves them out of the means.
        beta: Weight of recall in the F-score.
        collect_device: ``'cpu'`` or ``'gpu'`` for gathering across processes.
        output_dir: Unused (mmseg's format-only output is not supported); must be ``None``.
        format_only: Must be ``False``.
        prefix: Prefix of the metric names.
    """

    default_prefix = None

    def __init__(
        self,
        ignore_index: int = 255,
        iou_metrics: Sequence[str] = ("mIoU",),
        nan_to_num: float | None = None,
        beta: float = 1,
        collect_device: str = "cpu",
        output_dir: str | None = None,
        format_only: bool = False,
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if isinstance(iou_metrics, str):
            iou_metrics = [iou_metrics]
        unknown = [m for m in iou_metrics if m not in ALLOWED_METRICS]
        if unknown:
            raise KeyError(
                f"iou_metrics {unknown} are not supported; choose from {ALLOWED_METRICS}."
            )
        if output_dir is not None or format_only:
            raise ValueError("IoUMetric: format_only/output_dir are not supported.")
        self.ignore_index = ignore_index
        self.metrics = list(iou_metrics)
        self.nan_to_num = nan_to_num
        self.beta = beta
        self.output_dir = output_dir
        self.format_only = format_only

    def _num_classes(self) -> int:
        meta = self.dataset_meta or {}
        if "classes" not in meta:
            raise KeyError("IoUMetric needs dataset_meta['classes'] (set by the runner).")
        return len(meta["classes"])

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Add each sample's (pred_sem_seg, gt_sem_seg) pairs to the confusion matrix."""
        num_classes = self._num_classes()
        if not self.results:
            self.results.append(np.zeros((num_classes, num_classes), dtype=np.int64))
        total = self.results[0]
        for sample in data_samples:
            pred = _data(sample, "pred_sem_seg").squeeze()
            label = _data(sample, "gt_sem_seg").squeeze().to(pred.device)
            total += confusion_matrix(pred, label, num_classes, self.ignore_index).cpu().numpy()

    def compute_metrics(self, results: list) -> dict[str, float]:
        """``aAcc`` and ``m<metric>`` in percent; logs the per-class table."""
        cm = np.sum(np.stack(results), axis=0)
        per_class = metrics_from_confusion(cm, self.metrics, self.nan_to_num, self.beta)
        summary = OrderedDict(
            (k, float(np.round(np.nanmean(v) * 100, 2))) for k, v in per_class.items()
        )
        metrics = {k if k == "aAcc" else "m" + k: v for k, v in summary.items()}
        print_log(
            "per class results:\n" + self._table(per_class), logger="current", level=logging.INFO
        )
        return metrics

    def _table(self, per_class: OrderedDict) -> str:
        names = list(self.dataset_meta["classes"])
        columns = [k for k in per_class if k != "aAcc"]
        width = max(len("Class"), *(len(n) for n in names))
        rows = ["| " + " | ".join(["Class".ljust(width), *(c.rjust(9) for c in columns)]) + " |"]
        for i, name in enumerate(names):
            cells = [f"{per_class[c][i] * 100:9.2f}" for c in columns]
            rows.append("| " + " | ".join([name.ljust(width), *cells]) + " |")
        return "\n".join(rows)


def _data(sample, key: str) -> torch.Tensor:
    field = sample[key] if isinstance(sample, dict) else getattr(sample, key)
    return field["data"] if isinstance(field, dict) else field.data
