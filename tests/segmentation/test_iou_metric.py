"""IoUMetric against an independent NumPy computation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from visionbox.segmentation.datasets.transforms import apply_label_map, reduce_zero
from visionbox.segmentation.evaluation import IoUMetric
from visionbox.segmentation.structures import SegDataSample


def _reference(preds, labels, num_classes, ignore_index=255, beta=1.0):
    """Per-class IoU / Dice / F-score from per-class pixel counts (no confusion matrix)."""
    inter = np.zeros(num_classes)
    area_p = np.zeros(num_classes)
    area_l = np.zeros(num_classes)
    for pred, label in zip(preds, labels):
        keep = label != ignore_index
        p, g = pred[keep], label[keep]
        for c in range(num_classes):
            inter[c] += np.sum((p == c) & (g == c))
            area_p[c] += np.sum(p == c)
            area_l[c] += np.sum(g == c)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / (area_p + area_l - inter)
        acc = inter / area_l
        dice = 2 * inter / (area_p + area_l)
        prec, rec = inter / area_p, inter / area_l
        fscore = (1 + beta**2) * prec * rec / (beta**2 * prec + rec)
    return dict(
        aAcc=inter.sum() / area_l.sum(),
        IoU=iou,
        Acc=acc,
        Dice=dice,
        Fscore=fscore,
        Precision=prec,
        Recall=rec,
    )


def _samples(preds, labels):
    return [
        SegDataSample(
            pred_sem_seg=PixelData(data=torch.from_numpy(p)[None]),
            gt_sem_seg=PixelData(data=torch.from_numpy(g)[None]),
        ).to_dict()
        for p, g in zip(preds, labels)
    ]


def _run(metric, preds, labels, classes, batch=2):
    metric.dataset_meta = dict(classes=classes)
    samples = _samples(preds, labels)
    for i in range(0, len(samples), batch):
        metric.process({}, samples[i : i + batch])
    return metric.evaluate(len(samples))


def _random_maps(rng, n, num_classes, shape=(17, 23), ignore_frac=0.2):
    preds = [rng.integers(0, num_classes, shape).astype(np.int64) for _ in range(n)]
    labels = []
    for pred in preds:
        label = np.where(rng.random(shape) < 0.6, pred, rng.integers(0, num_classes, shape))
        label[rng.random(shape) < ignore_frac] = 255
        labels.append(label.astype(np.int64))
    return preds, labels


def test_iou_metric_matches_numpy_with_ignored_pixels():
    rng = np.random.default_rng(0)
    classes = ("a", "b", "c", "d")
    preds, labels = _random_maps(rng, 5, 4)
    metric = IoUMetric(iou_metrics=["mIoU", "mDice", "mFscore"], beta=2)
    out = _run(metric, preds, labels, classes)
    ref = _reference(preds, labels, 4, beta=2)
    assert out["aAcc"] == pytest.approx(round(ref["aAcc"] * 100, 2))
    for key in ("IoU", "Acc", "Dice", "Fscore", "Precision", "Recall"):
        assert out["m" + key] == pytest.approx(round(np.nanmean(ref[key]) * 100, 2)), key
    # The state is one confusion matrix, however many images were processed.
    assert metric.results == []


def test_iou_metric_nan_to_num_and_absent_class():
    rng = np.random.default_rng(1)
    preds, labels = _random_maps(rng, 3, 3)
    classes = ("a", "b", "c", "never")
    ref = _reference(preds, labels, 4)
    assert np.isnan(ref["IoU"][3])
    out = _run(IoUMetric(), preds, labels, classes)
    assert out["mIoU"] == pytest.approx(round(np.nanmean(ref["IoU"]) * 100, 2))
    out0 = _run(IoUMetric(nan_to_num=0), preds, labels, classes)
    assert out0["mIoU"] == pytest.approx(round(np.nan_to_num(ref["IoU"]).mean() * 100, 2))
    assert out0["mIoU"] < out["mIoU"]


def test_iou_metric_with_reduce_zero_label_and_class_subset():
    rng = np.random.default_rng(2)
    raw = [rng.integers(0, 6, (20, 20)).astype(np.uint8) for _ in range(4)]
    # reduce_zero_label: 0 -> ignored, k -> k - 1 (classes 0..4).
    labels = [reduce_zero(r).astype(np.int64) for r in raw]
    assert all(((r == 0) == (g == 255)).all() for r, g in zip(raw, labels))
    # A subset keeps old classes 1 and 3 as new 0 and 1; the others become ignored.
    label_map = {0: 255, 1: 0, 2: 255, 3: 1, 4: 255}
    sub = [apply_label_map(g.astype(np.uint8), label_map).astype(np.int64) for g in labels]
    expected = np.where(labels[0] == 1, 0, np.where(labels[0] == 3, 1, 255))
    assert (sub[0] == expected).all()
    preds = [rng.integers(0, 2, (20, 20)).astype(np.int64) for _ in range(4)]
    out = _run(IoUMetric(iou_metrics=["mIoU"]), preds, sub, ("one", "three"))
    ref = _reference(preds, sub, 2)
    assert out["mIoU"] == pytest.approx(round(np.nanmean(ref["IoU"]) * 100, 2))


def test_iou_metric_rejects_unknown_metric():
    with pytest.raises(KeyError, match="mIoU"):
        IoUMetric(iou_metrics=["mIoUU"])
