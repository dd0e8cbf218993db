"""End to end on VisionBox Shapes pose: a short train + test of the top-down heatmap demo in the
default run (the pipeline, model, metrics and tools work together), and the full demo (slow) that
must reach PCK@0.05 >= 0.9."""

from __future__ import annotations

import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.engine import load_config, test, train
from visionbox.core.models import BaseTaskModel
from visionbox.core.registry import MODELS as CORE_MODELS
from visionbox.pose.apis import detect_bboxes, inference_topdown, init_model

ROOT = osp.join(osp.dirname(__file__), "..", "..")
DEMO = osp.join(
    ROOT, "packages/pose/src/visionbox/pose/configs/shapes/td-hm_res18-slim_shapes-96x128.py"
)


@CORE_MODELS.register_module()
class FixedBoxDetector(BaseTaskModel):
    """A stand-in detector named by a core config: the boxes of the Shapes annotations."""

    def __init__(self, boxes: list, data_preprocessor: dict | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.boxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
        self.dummy = torch.nn.Linear(1, 1)

    def predict(self, inputs, data_samples):
        n = len(self.boxes)
        for sample in data_samples:
            sample.pred_instances = InstanceData(
                bboxes=self.boxes,
                scores=torch.full((n,), 0.9),
                labels=torch.zeros(n, dtype=torch.long),
            )
        return data_samples

    def loss(self, inputs, data_samples):
        return {}

    def _forward(self, inputs, data_samples=None):
        return inputs


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
    _check_inference(cfg, checkpoint, data_root, tmp_path)


def _check_inference(cfg, checkpoint: str, data_root: str, tmp_path) -> None:
    """The APIs and the demo tool on the trained checkpoint, with a detector from a config."""
    with open(osp.join(data_root, "annotations/keypoints_val.json")) as f:
        coco = json.load(f)
    image = osp.join(data_root, "val", coco["images"][0]["file_name"])
    boxes = [
        [a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]]
        for a in coco["annotations"]
        if a["image_id"] == coco["images"][0]["id"]
    ]
    model = init_model(cfg, checkpoint)
    samples = inference_topdown(model, image, np.array(boxes))
    assert len(samples) == len(boxes)
    assert samples[0].pred_instances.keypoints.shape == (1, 11, 2)
    whole = inference_topdown(model, image)
    assert len(whole) == 1
    det_cfg = osp.join(str(tmp_path), "fixed_detector.py")
    with open(det_cfg, "w") as f:
        f.write(
            "default_scope = 'core'\n"
            f"model = dict(type='FixedBoxDetector', boxes={boxes!r})\n"
            "test_dataloader = dict(dataset=dict(pipeline=[dict(type='LoadImageFromFile'), "
            "dict(type='PackInputs')]))\n"
        )
    detector = init_model(det_cfg)
    found = detect_bboxes(detector, image, cat_id=0, score_thr=0.3)
    np.testing.assert_allclose(found[:, :4], np.array(boxes, np.float32))
    tool = osp.join(ROOT, "tools", "pose", "demo_topdown.py")
    out = str(tmp_path / "demo")
    import runpy

    cfg.dump(str(tmp_path / "pose_cfg.py"))
    argv = [
        tool,
        det_cfg,
        "none",
        str(tmp_path / "pose_cfg.py"),
        checkpoint,
        "--input",
        image,
        "--output-root",
        out,
    ]
    old = sys.argv
    try:
        sys.argv = argv
        runpy.run_path(tool, run_name="__main__")
    finally:
        sys.argv = old
    stem = osp.splitext(osp.basename(image))[0]
    with open(osp.join(out, f"{stem}.json")) as f:
        assert len(json.load(f)["keypoints"]) == len(boxes)
    assert osp.isfile(osp.join(out, f"{stem}.png"))


def _run_demo(tmp_path, task: str, config: str, iters: int, num_train: int | None = None) -> dict:
    """Make the Shapes data, train with tools/pose/train.py and test with test.py."""
    data_dir = {"pose": "shapes_pose", "pose3d": "shapes_pose3d"}[task]
    make_shapes(task, str(tmp_path / "data" / data_dir), seed=0, num_train=num_train)
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
    work = str(tmp_path / "work")
    tools = osp.join(ROOT, "tools", "pose")
    subprocess.run(
        [sys.executable, osp.join(tools, "train.py"), config, "--work-dir", work],
        cwd=tmp_path,
        env=env,
        check=True,
    )
    checkpoint = osp.join(work, f"iter_{iters}.pth")
    subprocess.run(
        [sys.executable, osp.join(tools, "test.py"), config, checkpoint, "--work-dir", work],
        cwd=tmp_path,
        env=env,
        check=True,
    )
    with open(osp.join(work, "metrics.json")) as f:
        return json.load(f)


CONFIGS = osp.join(ROOT, "packages/pose/src/visionbox/pose/configs/shapes")


@pytest.mark.slow
def test_topdown_heatmap_demo_reaches_pck_0_9(tmp_path):
    """The top-down demo (about 5 CPU minutes): PCK@0.05 >= 0.9."""
    assert _run_demo(tmp_path, "pose", DEMO, 1200)["PCK"] >= 0.9


@pytest.mark.slow
def test_bottomup_demo_reaches_ap_0_4(tmp_path):
    """The bottom-up Associative Embedding demo: COCO keypoint AP >= 0.4."""
    config = osp.join(CONFIGS, "ae_res18-slim_shapes-128x128.py")
    assert _run_demo(tmp_path, "pose", config, 800)["coco/AP"] >= 0.4


@pytest.mark.slow
def test_lifting_demo_mpjpe_below_a_tenth_of_the_mean_bone(tmp_path):
    """The VideoPose3D lifting demo: MPJPE below a tenth of the mean bone length."""
    config = osp.join(CONFIGS, "video-pose-lift_tcn-81frm_shapes3d.py")
    metrics = _run_demo(tmp_path, "pose3d", config, 4000, num_train=200)
    with open(tmp_path / "data" / "shapes_pose3d" / "annotations" / "val.json") as f:
        ann = json.load(f)
    bones = [
        np.linalg.norm(
            np.asarray(seq["keypoints_3d"])[:, a] - np.asarray(seq["keypoints_3d"])[:, b], axis=-1
        )
        for seq in ann["sequences"]
        for a, b in ann["skeleton"]
    ]
    assert metrics["MPJPE"] < 0.1 * float(np.concatenate(bones).mean())
