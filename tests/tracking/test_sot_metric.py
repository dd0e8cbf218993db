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


def _reference(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OPE curves of one sequence, frame by frame (x1y1x2y2 boxes)."""
    n = len(gt)
    ious, dists, norm = [], [], []
    for p, g in zip(pred, gt):
        gw, gh = g[2] - g[0], g[3] - g[1]
        if not (np.isfinite(g).all() and gw > 0 and gh > 0):
            ious.append(-1.0)
            dists.append(np.inf)
            norm.append(np.inf)
            continue
        iw = max(0.0, min(p[2], g[2]) - max(p[0], g[0]))
        ih = max(0.0, min(p[3], g[3]) - max(p[1], g[1]))
        inter = iw * ih
        union = gw * gh + (p[2] - p[0]) * (p[3] - p[1]) - inter
        ious.append(inter / union)
        dx = (p[0] + p[2]) / 2 - (g[0] + g[2]) / 2
        dy = (p[1] + p[3]) / 2 - (g[1] + g[3]) / 2
        dists.append(np.hypot(dx, dy))
        norm.append(np.hypot(dx / gw, dy / gh))
    success = np.array([sum(i > t for i in ious) / n for t in np.linspace(0, 1, 21)])
    precision = np.array([sum(d <= t for d in dists) / n for t in range(51)])
    norm_precision = np.array([sum(d <= t / 100 for d in norm) for t in range(51)]) / n
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
            gt[5] = np.nan  # an unknown box counts as a failure
            gt[7, 2] = gt[7, 0]  # an empty box too
        preds[f"seq{k}"], gts[f"seq{k}"] = pred, gt
    return preds, gts


def _expected(preds: dict, gts: dict) -> dict:
    curves = {name: _reference(preds[name], gts[name]) for name in gts}
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


def test_only_eval_visible_drops_invisible_frames():
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
    expected = _expected(
        {n: p[keep[n]] for n, p in preds.items()}, {n: g[keep[n]] for n, g in gts.items()}
    )
    assert result["sot/success"] == pytest.approx(expected["OVERALL"]["success"], abs=1e-6)
    with pytest.raises(KeyError, match="only_eval_visible"):
        SOTMetric(metric_options=dict(visible_only=True))
