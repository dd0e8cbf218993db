"""ByteTrack over RTMDet on VisionBox Shapes MOT: tools/tracking/train.py trains the RTMDet of
``bytetrack_rtmdet-tiny_shapes.py`` (a ``detection::`` base) on the training frames, then
tools/tracking/test.py tracks the val sequences and TrackEval scores them. A short run on one
sequence is a default test; the full demo (HOTA >= 0.6) is @slow."""

from __future__ import annotations

import importlib.util
import json
import resource
from pathlib import Path

import pytest

from visionbox.core.datasets.shapes import make_shapes

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "packages/tracking/src/visionbox/tracking/configs/shapes"
CONFIG = CONFIG / "bytetrack_rtmdet-tiny_shapes.py"


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools/tracking" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _train_and_track(
    root: Path, work: Path, train_options: list[str], test_options: list[str] = ()
) -> dict:
    """Train the detector with the config (plus ``train_options``), track the val sequences (with
    ``test_options``); the metrics by their short names (``HOTA``, ``MOTA``, ...)."""
    loaders = ("val_dataloader", "test_dataloader")
    data = [f"{loader}.dataset.data_root={root}/" for loader in loaders]
    _tool("train").main(
        [
            str(CONFIG),
            "--work-dir",
            str(work / "train"),
            "--cfg-options",
            f"train_dataloader.dataset.data_root={root}/",
            *data,
            *train_options,
        ]
    )
    checkpoint = sorted((work / "train").glob("epoch_*.pth"))[-1]
    _tool("test").main(
        [
            str(CONFIG),
            str(checkpoint),
            "--work-dir",
            str(work / "test"),
            "--cfg-options",
            *data,
            *test_options,
        ]
    )
    metrics = json.loads((work / "test" / "metrics.json").read_text())
    return {k.split("/")[-1]: v for k, v in metrics.items()}


def test_short_run_tracks_rtmdet_detections(tmp_path):
    """Ten training steps on one 80-frame sequence, then tracking with every threshold at 0:
    the config's loops build the MOT datasets in the tracking scope, RTMDet's detections become
    ByteTrack's tracks and TrackEval scores them."""
    root = tmp_path / "shapes_mot"
    make_shapes("mot", root, seed=0, num_train=1, num_val=1)
    metrics = _train_and_track(
        root,
        tmp_path,
        [
            "train_cfg.max_epochs=1",
            "train_cfg.val_interval=2",
            "param_scheduler.1.end=1",
            "default_hooks.checkpoint.interval=1",
        ],
        [
            "model.detector.test_cfg.score_thr=0.0",
            "model.detector.test_cfg.max_per_img=10",
            "model.tracker.init_track_thr=0.0",
            "model.tracker.obj_score_thrs.high=0.0",
            "model.tracker.obj_score_thrs.low=0.0",
        ],
    )
    assert {"HOTA", "DetA", "AssA", "MOTA", "IDF1", "IDs", "FP", "FN"} <= set(metrics)
    assert 0.0 <= metrics["HOTA"] <= 1.0 and metrics["MOTA"] <= 1.0
    assert metrics["FP"] > 0, metrics  # untrained boxes, but tracked and scored


@pytest.mark.slow
def test_shapes_demo_reaches_hota(tmp_path):
    """The Shapes MOT demo (4 training and 2 val sequences, the config's 8 epochs): HOTA >= 0.6."""
    root = tmp_path / "shapes_mot"
    make_shapes("mot", root, seed=0)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    start = usage.ru_utime + usage.ru_stime
    metrics = _train_and_track(root, tmp_path, [])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - start
    print(f"ByteTrack-RTMDet on Shapes MOT: {json.dumps(metrics)}; {cpu:.0f} CPU seconds")
    assert metrics["HOTA"] >= 0.6, metrics
