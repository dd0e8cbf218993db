"""End to end on VisionBox Shapes pose: a short train + test of the top-down heatmap demo in the
default run (the pipeline, model, metrics and tools work together), and the full demo (slow) that
must reach PCK@0.05 >= 0.9."""

from __future__ import annotations

import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.engine import load_config, test, train

ROOT = osp.join(osp.dirname(__file__), "..", "..")
DEMO = osp.join(
    ROOT, "packages/pose/src/visionbox/pose/configs/shapes/td-hm_res18-slim_shapes-96x128.py"
)


def _point_at(cfg, data_root: str) -> None:
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = data_root
        loader.dataset.metainfo = dict(from_file=osp.join(data_root, "dataset_info.py"))
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        for metric in evaluator:
            if metric.type == "CocoMetric":
                metric.ann_file = osp.join(data_root, "annotations/keypoints_val.json")


def test_short_topdown_train_and_test_on_tiny_shapes(tmp_path):
    data_root = str(tmp_path / "shapes_pose")
    make_shapes("pose", data_root, seed=3, num_train=6, num_val=3)
    cfg = load_config(
        DEMO,
        cfg_options={
            "train_cfg.max_iters": 3,
            "train_cfg.val_interval": 3,
            "train_dataloader.batch_size": 4,
            "default_hooks.checkpoint.interval": 3,
            "default_hooks.logger.interval": 1,
        },
    )
    _point_at(cfg, data_root)
    work_dir = str(tmp_path / "work")
    train(cfg, work_dir=work_dir)
    checkpoint = osp.join(work_dir, "iter_3.pth")
    assert osp.isfile(checkpoint)
    metrics = test(cfg, checkpoint, work_dir=work_dir, show_dir=str(tmp_path / "show"))
    assert {"PCK", "EPE", "coco/AP"} <= set(metrics)
    assert 0.0 <= metrics["PCK"] <= 1.0
    with open(osp.join(work_dir, "metrics.json")) as f:
        assert json.load(f)["PCK"] == pytest.approx(metrics["PCK"])
    assert any(name.endswith(".png") for name in os.listdir(tmp_path / "show"))


@pytest.mark.slow
def test_topdown_heatmap_demo_reaches_pck_0_9(tmp_path):
    """The full demo through tools/pose/train.py and test.py (about 10 CPU minutes)."""
    data = tmp_path / "data" / "shapes_pose"
    make_shapes("pose", str(data), seed=0)
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
    work = str(tmp_path / "work")
    tools = osp.join(ROOT, "tools", "pose")
    subprocess.run(
        [sys.executable, osp.join(tools, "train.py"), DEMO, "--work-dir", work],
        cwd=tmp_path,
        env=env,
        check=True,
    )
    subprocess.run(
        [
            sys.executable,
            osp.join(tools, "test.py"),
            DEMO,
            osp.join(work, "iter_1200.pth"),
            "--work-dir",
            work,
        ],
        cwd=tmp_path,
        env=env,
        check=True,
    )
    with open(osp.join(work, "metrics.json")) as f:
        assert json.load(f)["PCK"] >= 0.9
