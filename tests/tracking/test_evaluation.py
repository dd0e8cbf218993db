"""MOTChallengeMetric and tools/tracking/eval_mot.py against TrackEval's own run on the same
files; interpolation of short gaps."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import trackeval
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from visionbox.tracking.evaluation.metrics.trackeval_runner import COUNT_KEYS, SUMMARY_KEYS
from visionbox.tracking.models.task_modules import interpolate_tracks
from visionbox.tracking.registry import DATASETS, METRICS

from .conftest import noisy_results

ROOT = Path(__file__).resolve().parents[2]
SEQS = ("SHAPES-02", "SHAPES-03")


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "tracking" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _trackeval_reference(shapes_root, trackers_root, tracker):
    """TrackEval's own run in its standard MOTChallenge layout (BENCHMARK-SPLIT folders)."""
    eval_cfg = dict(
        trackeval.Evaluator.get_default_eval_config(),
        USE_PARALLEL=False,
        PRINT_RESULTS=False,
        PRINT_CONFIG=False,
        OUTPUT_SUMMARY=False,
        OUTPUT_DETAILED=False,
        PLOT_CURVES=False,
        TIME_PROGRESS=False,
    )
    data_cfg = dict(
        trackeval.datasets.MotChallenge2DBox.get_default_dataset_config(),
        GT_FOLDER=str(shapes_root),
        TRACKERS_FOLDER=str(trackers_root),
        BENCHMARK="SHAPES",
        SPLIT_TO_EVAL="val",
        TRACKERS_TO_EVAL=[tracker],
        PRINT_CONFIG=False,
    )
    metrics = [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR(), trackeval.metrics.Identity()]
    out, _ = trackeval.Evaluator(eval_cfg).evaluate(
        [trackeval.datasets.MotChallenge2DBox(data_cfg)], metrics
    )
    return out["MotChallenge2DBox"][tracker]


def test_eval_mot_equals_trackeval_own_run(shapes_mot, tmp_path, capsys):
    trackers_root = tmp_path / "trackers"
    data = trackers_root / "SHAPES-val" / "mytracker" / "data"
    data.mkdir(parents=True)
    for i, seq in enumerate(SEQS):
        gt = shapes_mot / "SHAPES-val" / seq / "gt" / "gt.txt"
        noisy_results(gt, data / f"{seq}.txt", seed=i, swap_after=40)
    out_json = tmp_path / "metrics.json"
    tool = _load_tool("eval_mot")
    tool.main(
        [
            str(shapes_mot / "SHAPES-val"),
            str(data),
            "--out",
            str(out_json),
            "--seqmap",
            str(shapes_mot / "seqmaps" / "SHAPES-val.txt"),
        ]
    )
    printed = capsys.readouterr().out
    assert "COMBINED" in printed and "HOTA" in printed
    ours = json.loads(out_json.read_text())
    assert set(ours) == {*SEQS, "COMBINED"}
    reference = _trackeval_reference(shapes_mot, trackers_root, "mytracker")
    for seq, key in [(s, s) for s in SEQS] + [("COMBINED", "COMBINED_SEQ")]:
        ref = reference[key]["pedestrian"]
        row = ours[seq]
        assert set(row) == set(SUMMARY_KEYS)
        assert row["HOTA"] == pytest.approx(float(np.mean(ref["HOTA"]["HOTA"])), abs=1e-12)
        assert row["DetA"] == pytest.approx(float(np.mean(ref["HOTA"]["DetA"])), abs=1e-12)
        assert row["AssA"] == pytest.approx(float(np.mean(ref["HOTA"]["AssA"])), abs=1e-12)
        assert row["MOTA"] == pytest.approx(ref["CLEAR"]["MOTA"], abs=1e-12)
        assert row["MOTP"] == pytest.approx(ref["CLEAR"]["MOTP"], abs=1e-12)
        assert row["IDF1"] == pytest.approx(ref["Identity"]["IDF1"], abs=1e-12)
        assert row["IDs"] == ref["CLEAR"]["IDSW"] and row["FP"] == ref["CLEAR"]["CLR_FP"]
        assert row["FN"] == ref["CLEAR"]["CLR_FN"] and row["Frag"] == ref["CLEAR"]["Frag"]
        assert row["MT"] == ref["CLEAR"]["MT"] and row["ML"] == ref["CLEAR"]["ML"]
        for key in COUNT_KEYS:
            assert isinstance(row[key], int)
        for key in ("HOTA", "MOTA", "IDF1", "DetA", "AssA", "MOTP"):
            assert 0.0 <= row[key] <= 1.0
    assert ours["COMBINED"]["IDs"] > 0  # the swapped ids are counted
    assert ours["COMBINED"]["IDF1"] < 0.95


def test_eval_mot_missing_file_names_its_path(shapes_mot, tmp_path):
    with pytest.raises(FileNotFoundError, match="SHAPES-02.txt"):
        _load_tool("eval_mot").main([str(shapes_mot / "SHAPES-val"), str(tmp_path)])


def _dataset(root, pipeline, frame_range=(0.0, 1.0)):
    init_default_scope("tracking")
    return DATASETS.build(
        dict(
            type="MOTChallengeDataset",
            frame_range=frame_range,
            data_root=str(root),
            ann_file="seqmaps/SHAPES-val.txt",
            data_prefix=dict(img_path="SHAPES-val"),
            pipeline=pipeline,
            test_mode=True,
        )
    )


def test_metric_of_perfect_tracks_is_one_and_matches_files(shapes_mot, tmp_path):
    dataset = _dataset(
        shapes_mot, [dict(type="LoadTrackAnnotations"), dict(type="PackTrackInputs")]
    )
    assert len(dataset) == 160 and dataset.num_videos == 2
    metric = METRICS.build(dict(type="MOTChallengeMetric", outfile_prefix=str(tmp_path / "res")))
    metric.dataset_meta = dataset.metainfo
    for idx in range(len(dataset)):
        sample = dataset[idx]["data_samples"]
        frame = sample[0]
        pred = InstanceData()
        pred.bboxes = frame.gt_instances.bboxes
        pred.scores = torch.ones(len(pred.bboxes))
        pred.labels = frame.gt_instances.labels
        pred.instances_id = frame.gt_instances.instances_id
        frame.pred_track_instances = pred
        metric.process({}, [sample])
    result = metric.evaluate(len(dataset))
    for key in ("HOTA", "MOTA", "IDF1", "DetA", "AssA"):
        assert result[f"motchallenge-metric/{key}"] == pytest.approx(1.0)
    assert result["motchallenge-metric/IDs"] == 0 and result["motchallenge-metric/FP"] == 0
    assert sorted(os.listdir(tmp_path / "res")) == [f"{s}.txt" for s in SEQS]


def test_interpolation_fills_short_gaps_only():
    rows = [[f, 1, 10 * f, 0, 10, 10, 1.0] for f in (1, 2, 3, 4, 5, 8)]  # gap of 2 frames
    rows += [[f, 2, 0, 0, 5, 5, 0.5] for f in (1, 2, 3, 4, 5, 40)]  # gap too long
    rows += [[1, 3, 0, 0, 5, 5, 0.5], [4, 3, 0, 0, 5, 5, 0.5]]  # track too short
    out = interpolate_tracks(np.array(rows, float), min_num_frames=5, max_num_frames=20)
    track1 = out[out[:, 1] == 1]
    np.testing.assert_array_equal(track1[:, 0], [1, 2, 3, 4, 5, 6, 7, 8])
    np.testing.assert_allclose(track1[5:7, 2], [60, 70])
    assert (out[:, 1] == 2).sum() == 6 and (out[:, 1] == 3).sum() == 2


def test_metric_with_interpolation_builds(shapes_mot):
    metric = METRICS.build(dict(type="MOTChallengeMetric", use_postprocess=True))
    assert len(metric.postprocess_tracklet_methods) == 1
    with pytest.raises(KeyError, match="allowed|choose"):
        METRICS.build(dict(type="MOTChallengeMetric", metric=["HOTA", "MOTA"]))
