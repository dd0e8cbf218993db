"""End to end on VisionBox Shapes SOT: tools/tracking/train.py trains the SiamRPN++ demo config
on template/search pairs, tools/tracking/test.py tracks the val videos with SOTMetric, and
tools/tracking/demo_sot.py writes a tracked video."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.datasets.shapes.tracking import make_sot
from visionbox.tracking.apis import inference_sot, init_track_model

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "packages/tracking/src/visionbox/tracking/configs/shapes/siamese-rpn_r18_shapes.py"


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools/tracking" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _train_and_test(data: Path, work: Path, epochs: int, extra: list[str]) -> dict:
    options = [
        f"train_dataloader.dataset.data_root={data}/",
        f"val_dataloader.dataset.data_root={data}/",
        f"test_dataloader.dataset.data_root={data}/",
    ]
    _tool("train").main(
        [
            str(CONFIG),
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
    _tool("test").main(
        [str(CONFIG), str(checkpoint), "--work-dir", str(work / "test"), "--cfg-options", *options]
    )
    metrics = json.loads(next((work / "test").rglob("metrics.json")).read_text())
    return metrics, checkpoint


def test_tiny_train_test_and_demo(tmp_path):
    data = tmp_path / "shapes_sot"
    make_sot(str(data), seed=0, num_train=2, num_val=1, frames=10)
    metrics, checkpoint = _train_and_test(
        data,
        tmp_path,
        epochs=1,
        extra=["train_dataloader.batch_size=4", "train_dataloader.sampler.samples_per_epoch=8"],
    )
    for key in ("success", "precision", "norm_precision"):
        assert 0.0 <= metrics[f"sot/{key}"] <= 1.0
    # frame 0 is the given box: at least 1/10 of the frames succeed at every threshold but 1
    assert metrics["sot/success"] >= 0.09 and metrics["sot/precision"] >= 0.1

    seq = data / "val" / "SHAPES-SOT-003"
    x, y, w, h = np.loadtxt(seq / "groundtruth.txt", delimiter=",")[0]
    out = tmp_path / "demo.mp4"
    boxes = _tool("demo_sot").main(
        [
            str(seq),
            str(CONFIG),
            "--init-bbox",
            f"{x},{y},{w},{h}",
            "--out",
            str(out),
            "--checkpoint",
            str(checkpoint),
        ]
    )
    assert len(boxes) == 10 and boxes[0] == pytest.approx([x, y, x + w, y + h], abs=1e-3)
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 10
    cap.release()

    model = init_track_model(str(CONFIG), str(checkpoint))
    init = [x, y, x + w, y + h]
    first = inference_sot(model, str(seq / "00000001.jpg"), init, 0)[0].pred_track_instances
    assert first.bboxes[0].tolist() == pytest.approx(init, abs=1e-3)
    second = inference_sot(model, str(seq / "00000002.jpg"), init, 1)[0].pred_track_instances
    assert 0.0 <= second.scores.item() <= 1.0
    assert second.bboxes[0].tolist() == pytest.approx(boxes[1], abs=1e-3)  # as the demo tracked
    with pytest.raises(ValueError, match="x2 > x1"):
        inference_sot(model, str(seq / "00000001.jpg"), [5, 5, 1, 1], 0)


@pytest.mark.slow
def test_shapes_sot_demo_reaches_success_0_6(tmp_path):
    data = tmp_path / "shapes_sot"
    make_shapes("sot", str(data), seed=0, num_train=40, num_val=4)
    start = time.process_time()
    metrics, _ = _train_and_test(data, tmp_path, epochs=_demo_epochs(), extra=[])
    print(f"Shapes SOT: {metrics}, {time.process_time() - start:.0f} s CPU")
    assert metrics["sot/success"] >= 0.6


def _demo_epochs() -> int:
    from visionbox.core.config import Config

    return Config.fromfile(str(CONFIG)).train_cfg.max_epochs
