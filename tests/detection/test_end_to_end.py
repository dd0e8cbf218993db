"""End to end on VisionBox Shapes: train, test (metrics.json, --show-dir), init_detector /
inference_detector and tools/detection/demo.py. The full demo training is @slow."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.engine import test as run_test
from visionbox.core.engine import train as run_train
from visionbox.detection.apis import inference_detector, init_detector
from visionbox.detection.structures import DetDataSample

from .conftest import load_cfg, repo_path

DEMO = "shapes/faster-rcnn_r18_fpn_shapes.py"


def _point_at(cfg, root: str) -> None:
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = root
    cfg.val_evaluator.ann_file = os.path.join(root, "annotations/instances_val.json")
    cfg.test_evaluator = cfg.val_evaluator


def _load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, repo_path(f"tools/detection/{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_train_test_inference_and_demo(tmp_path):
    root = str(tmp_path / "shapes")
    make_shapes("detection", root, seed=0, num_train=8, num_val=4)
    cfg = load_cfg(DEMO)
    _point_at(cfg, root)
    cfg.model.backbone.base_channels = 8
    cfg.model.neck.in_channels = [8, 16, 32, 64]
    cfg.train_dataloader.batch_size = 4
    cfg.train_cfg.max_epochs = cfg.train_cfg.val_interval = 1
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger.interval = 1
    work = str(tmp_path / "work")
    run_train(cfg, work_dir=work, default_scope="detection")
    ckpt = os.path.join(work, "epoch_1.pth")
    assert os.path.isfile(ckpt)

    show = str(tmp_path / "vis")
    metrics = run_test(cfg, ckpt, work_dir=work, show_dir=show, default_scope="detection")
    assert "coco/bbox_mAP" in metrics and 0.0 <= metrics["coco/bbox_mAP"] <= 1.0
    with open(os.path.join(work, "metrics.json")) as f:
        assert json.load(f)["coco/bbox_mAP"] == metrics["coco/bbox_mAP"]
    assert sorted(os.listdir(show)) == [f"{i:06d}.png" for i in range(1, 5)]

    cfg_file = str(tmp_path / "cfg.py")
    with open(cfg_file, "w") as f:
        f.write(cfg.pretty_text)
    model = init_detector(cfg_file, ckpt)
    assert model.dataset_meta["classes"][0] == "circle"
    image = os.path.join(root, "val", "000001.jpg")
    result = inference_detector(model, image)
    assert isinstance(result, DetDataSample)
    assert result.pred_instances.bboxes.shape[-1] == 4 and result.ori_shape == (256, 256)
    batch = inference_detector(model, [image, np.zeros((100, 120, 3), np.uint8)])
    assert len(batch) == 2 and batch[1].ori_shape == (100, 120)
    with pytest.raises(FileNotFoundError, match="nope.jpg"):
        inference_detector(model, "nope.jpg")
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        init_detector(cfg_file, "missing.pth")

    out = str(tmp_path / "demo.png")
    _load_tool("demo").main([image, cfg_file, ckpt, "--out-file", out, "--score-thr", "0.0"])
    assert os.path.getsize(out) > 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("config", "key", "minimum"),
    [
        (DEMO, "coco/bbox_mAP", 0.5),
        ("shapes/mask-rcnn_r18_fpn_shapes.py", "coco/segm_mAP", 0.4),
    ],
)
def test_shapes_demos_reach_their_map(tmp_path, config, key, minimum):
    """The README demos: tools/detection/train.py + test.py on the full Shapes set."""
    repo = repo_path("")
    data = os.path.join(repo, "data", "shapes_det")
    if not os.path.isfile(os.path.join(data, "annotations", "instances_val.json")):
        make_shapes("detection", data, seed=0)
    cfg = repo_path(f"packages/detection/src/visionbox/detection/configs/{config}")
    work = str(tmp_path / "work")
    subprocess.run(
        [sys.executable, "tools/detection/train.py", cfg, "--work-dir", work], cwd=repo, check=True
    )
    ckpt = os.path.join(work, f"epoch_{load_cfg(config).train_cfg.max_epochs}.pth")
    subprocess.run(
        [sys.executable, "tools/detection/test.py", cfg, ckpt, "--work-dir", work],
        cwd=repo,
        check=True,
    )
    with open(os.path.join(work, "metrics.json")) as f:
        assert json.load(f)[key] >= minimum
