"""``tools/deploy/export.py`` (``visionbox export``) on a Shapes Faster R-CNN checkpoint written by
``tools/detection/train.py``: onnxruntime on a Shapes val image gives the eager predict path's
boxes; user errors exit with 2 and one message, before anything is built."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.deploy import run_exported
from visionbox.core.deploy.cli import main as export_main
from visionbox.detection.apis import inference_detector, init_detector
from visionbox.detection.apis.inference import build_test_pipeline

from .conftest import load_cfg, repo_path
from .test_end_to_end import DEMO, _point_at

ENV = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=repo_path(""), env=ENV, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def shapes_checkpoint(tmp_path_factory):
    """(config file, checkpoint, data root) of a one-epoch tiny Shapes Faster R-CNN."""
    tmp = tmp_path_factory.mktemp("export_cli")
    root = str(tmp / "shapes")
    make_shapes("detection", root, seed=0, num_train=8, num_val=2)
    cfg = load_cfg(DEMO)
    _point_at(cfg, root)
    cfg.model.backbone.base_channels = 8
    cfg.model.neck.in_channels = [8, 16, 32, 64]
    cfg.model.test_cfg.rcnn.score_thr = 0.0  # keep every detection: many boxes to compare
    cfg.train_dataloader.batch_size = 4
    cfg.train_cfg.max_epochs = cfg.train_cfg.val_interval = 1
    cfg_file = str(tmp / "faster-rcnn_shapes_tiny.py")
    cfg.dump(cfg_file)
    work = str(tmp / "work")
    done = _run("tools/detection/train.py", cfg_file, "--work-dir", work)
    assert done.returncode == 0, done.stderr[-3000:]
    return cfg_file, os.path.join(work, "epoch_1.pth"), root


def test_exported_onnx_gives_the_boxes_of_the_eager_predict_path(shapes_checkpoint, tmp_path):
    cfg_file, ckpt, root = shapes_checkpoint
    out = str(tmp_path / "faster.onnx")
    args = ("--format", "onnx", "--out", out, "--shape", "256", "256", "--verify")
    done = _run("tools/deploy/export.py", cfg_file, ckpt, *args)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "dets boxes (px)" in done.stdout and "FAIL" not in done.stdout

    image = os.path.join(root, "val", "000001.jpg")
    model = init_detector(cfg_file, ckpt)
    eager = inference_detector(model, image).pred_instances
    item = build_test_pipeline(model.cfg)(dict(img_path=image, img_id=0))
    inputs = model.data_preprocessor(pseudo_collate([item]), False)["inputs"]
    assert tuple(inputs.shape) == (1, 3, 256, 256)
    dets, labels = run_exported(out, inputs.float())
    keep = dets[0, :, 4] > 0
    assert keep.sum() == len(eager.scores) > 0
    np.testing.assert_allclose(dets[0, keep, :4], eager.bboxes.numpy(), atol=1e-2)
    np.testing.assert_allclose(dets[0, keep, 4], eager.scores.numpy(), atol=1e-4)
    assert np.array_equal(labels[0, keep], eager.labels.numpy())


def test_user_errors_exit_2_with_one_message(shapes_checkpoint, tmp_path, capsys):
    cfg_file, ckpt, _ = shapes_checkpoint
    out = str(tmp_path / "x.onnx")
    assert export_main([cfg_file, "nope.pth", "--format", "onnx", "--out", out]) == 2
    assert "nope.pth" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        export_main([cfg_file, ckpt, "--format", "tflite", "--out", out])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "onnx" in err and "torch-export" in err
    assert export_main([cfg_file, ckpt, "--format", "onnx", "--out", out]) == 2
    assert "--shape" in capsys.readouterr().err
    wrong = str(tmp_path / "wrong.pth")
    torch.save({"state_dict": {"backbone.nothing": torch.zeros(1)}}, wrong)
    args = [cfg_file, wrong, "--format", "onnx", "--out", out, "--shape", "64", "64"]
    assert export_main(args) == 2
    err = capsys.readouterr().err
    assert "missing" in err.lower() and "Traceback" not in err
    assert not os.path.exists(out)
