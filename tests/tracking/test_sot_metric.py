"""SOTMetric and tools/tracking/eval_sot.py against a plain NumPy OPE computation."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from visionbox.tracking.evaluation import SOTMetric, eval_sot_ope
from visionbox.tracking.structures import FrameDataSample, TrackDataSample

ROOT = Path(__file__).resolve().parents[2]


def _bbox_overlaps_diag(g: np.ndarray, p: np.ndarray) -> np.ndarray:
    """mmdet's ``evaluation.functional.bbox_overlaps`` (IoU, eps 1e-6), pair by pair."""
    out = []
    for a, b in zip(g, p):
        area1 = (a[2] - a[0]) * (a[3] - a[1])
        area2 = (b[2] - b[0]) * (b[3] - b[1])
        overlap = max(min(a[2], b[2]) - max(a[0], b[0]), 0) * max(
            min(a[3], b[3]) - max(a[1], b[1]), 0
        )
        out.append(overlap / max(area1 + area2 - overlap, 1e-6))
    return np.array(out)


def _success_overlap(gt_bboxes, pred_bboxes, iou_th, video_length):
    """mmtracking 1.x ``success_overlap``."""
    success = np.zeros(len(iou_th))
    iou = np.ones(len(gt_bboxes)) * (-1)
    valid = (gt_bboxes[:, 2] > gt_bboxes[:, 0]) & (gt_bboxes[:, 3] > gt_bboxes[:, 1])
    iou[valid] = _bbox_overlaps_diag(gt_bboxes[valid], pred_bboxes[valid])
    for i in range(len(iou_th)):
        success[i] = np.sum(iou > iou_th[i]) / float(video_length)
    return success


def _success_error(gt_center, pred_center, pixel_offset_th, video_length):
    """mmtracking 1.x ``success_error``."""
    success = np.zeros(len(pixel_offset_th))
    dist = np.ones(len(gt_center)) * (-1)
    valid = (gt_center[:, 0] > 0) & (gt_center[:, 1] > 0)
    dist[valid] = np.sqrt(np.sum((gt_center[valid] - pred_center[valid]) ** 2, axis=1))
    for i in range(len(pixel_offset_th)):
        success[i] = np.sum(dist <= pixel_offset_th[i]) / float(video_length)
    return success


def _reference(pred, gt, visible=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OPE curves of one sequence, transcribed from mmtracking 1.x ``eval_sot_ope``."""
    video_length = len(pred)
    if visible is not None:
        gt, pred = gt[visible], pred[visible]
    with np.errstate(invalid="ignore"):
        success = _success_overlap(gt, pred, np.arange(0, 1.05, 0.05), video_length)
        gt_c = np.array((0.5 * (gt[:, 2] + gt[:, 0]), 0.5 * (gt[:, 3] + gt[:, 1]))).T
        pred_c = np.array((0.5 * (pred[:, 2] + pred[:, 0]), 0.5 * (pred[:, 3] + pred[:, 1]))).T
        th = np.arange(0, 51, 1)
        precision = _success_error(gt_c, pred_c, th, video_length)
        gt_wh = np.array((gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1])).T
        norm_precision = _success_error(
            gt_c / (gt_wh + 1e-16), pred_c / (gt_wh + 1e-16), th / 100.0, video_length
        )
    return success, precision, norm_precision


def _sequences(seed: int = 0) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    preds, gts = {}, {}
    for k, length in enumerate((30, 45, 20)):
        xy = rng.uniform(20, 200, (length, 2))
        wh = rng.uniform(10, 60, (length, 2))
        gt = np.concatenate([xy, xy + wh], 1)
        noise = rng.normal(0, 4 + 6 * k, (length, 4))
        pred = gt + noise
        pred[:, 2:] = np.maximum(pred[:, 2:], pred[:, :2] + 1)
        if k == 1:
            gt[5] = np.nan  # an unknown box: IoU miss, precision hit
            gt[7, 2] = gt[7, 0]  # an empty box: IoU miss, precision scored
            gt[9] = 0.0  # an absent 0,0,0,0 box (GOT-10k, LaSOT): IoU miss, precision hit
        preds[f"seq{k}"], gts[f"seq{k}"] = pred, gt
    return preds, gts


def _expected(preds: dict, gts: dict, visible: dict | None = None) -> dict:
    visible = visible or {}
    curves = {name: _reference(preds[name], gts[name], visible.get(name)) for name in gts}
    out = {}
    for name, (s, p, n) in curves.items():
        out[name] = dict(success=s.mean(), precision=p[20], norm_precision=n[20])
    mean = [np.mean([c[i] for c in curves.values()], axis=0) for i in range(3)]
    out["OVERALL"] = dict(success=mean[0].mean(), precision=mean[1][20], norm_precision=mean[2][20])
    return out


def test_eval_sot_ope_equals_numpy_reference():
    preds, gts = _sequences()
    got = eval_sot_ope(preds, gts)
    expected = _expected(preds, gts)
    assert set(got) == set(expected)
    for name, figures in expected.items():
        for key, value in figures.items():
            assert got[name][key] == pytest.approx(value, abs=1e-12), (name, key)
            assert 0.0 <= got[name][key] <= 1.0


def test_perfect_tracker_scores_one_and_missing_results_fail():
    _, gts = _sequences(1)
    gts = {k: v for k, v in gts.items() if k != "seq1"}
    figures = eval_sot_ope(gts, gts)
    assert figures["OVERALL"] == pytest.approx(
        dict(success=20 / 21, precision=1.0, norm_precision=1.0)
    )  # IoU 1 is not > 1
    with pytest.raises(KeyError, match="seq0"):
        eval_sot_ope({}, gts)


def _frame(video: str, frame_id: int, pred: np.ndarray, gt: np.ndarray) -> TrackDataSample:
    frame = FrameDataSample(metainfo=dict(video_name=video, frame_id=frame_id))
    frame.gt_instances = InstanceData(bboxes=torch.tensor(gt[None], dtype=torch.float64))
    frame.pred_track_instances = InstanceData(bboxes=torch.tensor(pred[None]), scores=torch.ones(1))
    sample = TrackDataSample()
    sample.video_data_samples = [frame]
    return sample


def test_sot_metric_equals_numpy_reference(tmp_path):
    preds, gts = _sequences(2)
    metric = SOTMetric(outfile_prefix=str(tmp_path / "res"))
    metric.dataset_meta = {}
    rng = np.random.default_rng(0)
    samples = [
        _frame(name, i, preds[name][i], gts[name][i]) for name in gts for i in range(len(gts[name]))
    ]
    for i in rng.permutation(len(samples)):  # frames arrive in any order
        metric.process({}, [samples[i].to_dict()])
    result = metric.evaluate(len(samples))
    expected = _expected(preds, gts)["OVERALL"]
    for key, value in expected.items():
        assert result[f"sot/{key}"] == pytest.approx(value, abs=1e-6)
    written = np.loadtxt(tmp_path / "res" / "seq0.txt", delimiter=",")
    np.testing.assert_allclose(
        written[:, 2:], preds["seq0"][:, 2:] - preds["seq0"][:, :2], atol=1e-3
    )


def test_sot_metric_rejects_unknown_metric():
    with pytest.raises(KeyError, match="OPE"):
        SOTMetric(metric="EAO")


def test_eval_sot_tool_writes_json(tmp_path, capsys):
    preds, gts = _sequences(3)
    for name in gts:
        (tmp_path / "gt" / name).mkdir(parents=True)
        xywh = np.concatenate([gts[name][:, :2], gts[name][:, 2:] - gts[name][:, :2]], 1)
        np.savetxt(tmp_path / "gt" / name / "groundtruth.txt", xywh, fmt="%.6f", delimiter=",")
        (tmp_path / "res").mkdir(exist_ok=True)
        xywh = np.concatenate([preds[name][:, :2], preds[name][:, 2:] - preds[name][:, :2]], 1)
        np.savetxt(tmp_path / "res" / f"{name}.txt", xywh, fmt="%.6f", delimiter="\t")
    spec = importlib.util.spec_from_file_location("eval_sot", ROOT / "tools/tracking/eval_sot.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / "out" / "sot.json"
    tool.main([str(tmp_path / "gt"), str(tmp_path / "res"), "--out", str(out)])
    data = json.loads(out.read_text())
    expected = _expected(preds, gts)
    assert set(data) == {"seq0", "seq1", "seq2", "OVERALL"}
    for name, figures in expected.items():
        for key, value in figures.items():
            assert data[name][key] == pytest.approx(value, abs=1e-5)
    assert "OVERALL" in capsys.readouterr().out
    (tmp_path / "res" / "seq2.txt").unlink()
    with pytest.raises(FileNotFoundError, match="seq2"):
        tool.main([str(tmp_path / "gt"), str(tmp_path / "res")])


def test_only_eval_visible_divides_by_the_full_video_length():
    preds, gts = _sequences(4)
    metric = SOTMetric(metric_options=dict(only_eval_visible=True))
    metric.dataset_meta = {}
    for name in gts:
        for i in range(len(gts[name])):
            sample = _frame(name, i, preds[name][i], gts[name][i])
            sample[0].set_metainfo(dict(visible=i % 3 != 0))
            metric.process({}, [sample.to_dict()])
    result = metric.evaluate(len(metric.results))
    keep = {n: np.arange(len(g)) % 3 != 0 for n, g in gts.items()}
    expected = _expected(preds, gts, keep)["OVERALL"]
    for key, value in expected.items():
        assert result[f"sot/{key}"] == pytest.approx(value, abs=1e-6), key
    # a perfect tracker scores the visible fraction, not 1 (invisible frames weigh as misses)
    perfect = eval_sot_ope(gts, gts, keep)
    assert perfect["seq0"]["precision"] == pytest.approx(keep["seq0"].mean())
    with pytest.raises(KeyError, match="only_eval_visible"):
        SOTMetric(metric_options=dict(visible_only=True))


def test_absent_ground_truth_scores_as_mmtracking():
    """0,0,0,0 and NaN ground truth: IoU misses, precision and normalised precision hits."""
    gt = np.array([[10.0, 10, 30, 30]] * 4)
    gt[2] = 0.0
    gt[3] = np.nan
    pred = np.array([[100.0, 100, 120, 120]] * 4)  # far away everywhere
    got = eval_sot_ope({"s": pred}, {"s": gt})["s"]
    assert got == pytest.approx(dict(success=0.0, precision=0.5, norm_precision=0.5))
