"""End to end on VisionBox Shapes MOT with the detection package's Faster R-CNN:
tools/tracking/train.py trains the detector of the ByteTrack demo config on the frames, then
tools/tracking/test.py tracks the val sequences (ByteTrack and SORT) and writes the metrics."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from visionbox.core.datasets.shapes import make_shapes

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "packages/tracking/src/visionbox/tracking/configs/shapes"
BYTETRACK = CONFIGS / "bytetrack_faster-rcnn_r18_fpn_shapes.py"
SORT = CONFIGS / "sort_faster-rcnn_r18_fpn_shapes.py"


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools/tracking" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _data_options(root: Path, train: bool) -> list[str]:
    options = [
        f"data_root={root}/",
        f"val_dataloader.dataset.data_root={root}/",
        f"test_dataloader.dataset.data_root={root}/",
    ]
    return options + ([f"train_dataloader.dataset.data_root={root}/"] if train else [])


def _train_and_test(root: Path, work: Path, epochs: int, extra: list[str]) -> dict[str, dict]:
    options = _data_options(root, train=True)
    _tool("train").main(
        [
            str(BYTETRACK),
            "--work-dir",
            str(work / "train"),
            "--cfg-options",
            *options,
            f"train_cfg.max_epochs={epochs}",
            f"train_cfg.val_interval={epochs + 1}",
            f"param_scheduler.1.end={epochs}",
            f"default_hooks.checkpoint.interval={epochs}",
            *extra,
        ]
    )
    checkpoint = work / "train" / f"epoch_{epochs}.pth"
    assert checkpoint.is_file()
    results = {}
    for name, config in (("bytetrack", BYTETRACK), ("sort", SORT)):
        _tool("test").main(
            [
                str(config),
                str(checkpoint),
                "--work-dir",
                str(work / name),
                "--cfg-options",
                *_data_options(root, train=False),
            ]
        )
        metrics = json.loads((work / name / "metrics.json").read_text())
        results[name] = {k.split("/")[-1]: v for k, v in metrics.items()}
    return results


def test_short_train_and_test_on_tiny_shapes(tmp_path):
    """Two epochs on one 80-frame sequence: the detector starts to find the shapes and both
    trackers produce tracks that TrackEval scores."""
    root = tmp_path / "shapes_mot"
    make_shapes("mot", root, seed=0, num_train=1, num_val=1)
    results = _train_and_test(root, tmp_path, epochs=2, extra=["train_dataloader.batch_size=4"])
    for name, metrics in results.items():
        assert {
            "HOTA",
            "DetA",
            "AssA",
            "MOTA",
            "MOTP",
            "IDF1",
            "IDs",
            "FP",
            "FN",
            "MT",
            "ML",
        } <= set(metrics), name
        assert all(isinstance(metrics[k], int) for k in ("IDs", "FP", "FN", "MT", "ML"))
        assert 0.0 <= metrics["HOTA"] <= 1.0 and metrics["MOTA"] <= 1.0
    # stated metric of the short run: the detector already finds part of the shapes
    assert results["bytetrack"]["DetA"] > 0.05 and results["bytetrack"]["MOTP"] > 0.5


@pytest.mark.slow
def test_shapes_demo_reaches_mota_and_idf1(tmp_path):
    """The Shapes MOT demo (4 training and 2 val sequences): MOTA >= 0.8 and IDF1 >= 0.8."""
    root = tmp_path / "shapes_mot"
    make_shapes("mot", root, seed=0)
    results = _train_and_test(root, tmp_path, epochs=8, extra=[])
    print(json.dumps(results, indent=2))
    bytetrack = results["bytetrack"]
    assert bytetrack["MOTA"] >= 0.8 and bytetrack["IDF1"] >= 0.8, bytetrack
