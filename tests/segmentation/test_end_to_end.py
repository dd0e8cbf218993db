"""End to end on VisionBox Shapes through tools/segmentation/train.py and test.py."""

from __future__ import annotations

import importlib.util
import json
import os
import os.path as osp
import time

import pytest

from visionbox.core.datasets.shapes import make_shapes

REPO = osp.abspath(osp.join(osp.dirname(__file__), "..", ".."))
DEMO = osp.join(
    REPO,
    "packages/segmentation/src/visionbox/segmentation/configs/shapes/fcn_r18-d8_shapes-256x256.py",
)


def _tool(name: str):
    path = osp.join(REPO, "tools", "segmentation", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"seg_tool_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _data_options(root: str) -> list[str]:
    root = root.rstrip("/") + "/"
    return [f"{split}_dataloader.dataset.data_root={root}" for split in ("train", "val", "test")]


def _train_and_test(root: str, work_dir: str, extra: list[str], show_dir: str | None = None):
    _tool("train").main(
        [DEMO, "--work-dir", work_dir, "--cfg-options", *_data_options(root), *extra]
    )
    checkpoints = sorted(f for f in os.listdir(work_dir) if f.startswith("iter_"))
    assert checkpoints, os.listdir(work_dir)
    argv = [DEMO, osp.join(work_dir, checkpoints[-1]), "--work-dir", work_dir]
    if show_dir:
        argv += ["--show-dir", show_dir]
    _tool("test").main([*argv, "--cfg-options", *_data_options(root)])
    with open(osp.join(work_dir, "metrics.json")) as file:
        return json.load(file)


def test_short_train_and_test_on_tiny_shapes(tmp_path):
    root = str(tmp_path / "shapes_seg")
    make_shapes("segmentation", root, seed=0, num_train=8, num_val=4)
    show_dir = str(tmp_path / "show")
    metrics = _train_and_test(
        root,
        str(tmp_path / "work"),
        [
            "train_cfg.max_iters=12",
            "train_cfg.val_interval=12",
            "train_dataloader.batch_size=4",
            "default_hooks.checkpoint.interval=12",
            "param_scheduler.0.end=4",
            "param_scheduler.1.begin=4",
            "param_scheduler.1.end=12",
        ],
        show_dir=show_dir,
    )
    assert {"aAcc", "mIoU", "mAcc"} <= set(metrics)
    # Background alone covers most pixels; a dozen iterations already learn it.
    assert metrics["aAcc"] > 50.0
    assert 0.0 <= metrics["mIoU"] <= 100.0
    drawn = os.listdir(show_dir)
    assert len(drawn) == 4 and all(name.endswith(".png") for name in drawn)


@pytest.mark.slow
def test_demo_reaches_miou_70_on_shapes(tmp_path):
    root = str(tmp_path / "shapes_seg")
    make_shapes("segmentation", root, seed=0)
    start = time.process_time()
    metrics = _train_and_test(root, str(tmp_path / "work"), [])
    print(f"demo: mIoU {metrics['mIoU']:.2f}, CPU time {time.process_time() - start:.0f} s")
    assert metrics["mIoU"] >= 70.0
