"""A checkpoint written by tools/segmentation/train.py through init_model and SegInferencer in a
fresh process, `visionbox predict` on a folder, and channels-first arrays refused."""

from __future__ import annotations

import json
import os

import cv2
import numpy as np
import pytest

from visionbox.core.cli import main
from visionbox.core.config import resolve_scoped_path
from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.testing.cli import run_python, run_visionbox, train_tiny

CONFIG = "segmentation::shapes/fcn_r18-d8_shapes-256x256.py"
TINY = [
    "train_cfg.max_iters=2",
    "default_hooks.checkpoint.interval=2",
    "train_dataloader.batch_size=2",
    "val_cfg=None",
    "val_dataloader=None",
    "val_evaluator=None",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("seg_inferencer")
    make_shapes("segmentation", root / "data" / "shapes_seg", num_train=4, num_val=2)
    config = str(resolve_scoped_path(CONFIG))
    checkpoint = train_tiny("segmentation", config, root, "work", TINY)
    return root, str(root / "work" / "fcn_r18-d8_shapes-256x256.py"), checkpoint


FRESH = """
import json, sys
from visionbox.segmentation.apis import MMSegInferencer, SegInferencer, inference_model, init_model
config, checkpoint, image = sys.argv[1:]
model = init_model(config, checkpoint)
sample = inference_model(model, image)
result = SegInferencer(config, checkpoint, device="cpu")(image)
assert MMSegInferencer is SegInferencer
print(json.dumps(dict(
    shape=list(sample.pred_sem_seg.shape),
    classes=len(model.dataset_meta["classes"]),
    pred=result["predictions"][0]["sem_seg"],
)))
"""


def test_fresh_process_loads_the_checkpoint_through_the_apis(trained):
    root, config, checkpoint = trained
    image = str(root / "data" / "shapes_seg" / "img_dir" / "val" / "000001.jpg")
    done = run_python(["-c", FRESH, config, checkpoint, image], root)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    label_map = np.asarray(out["pred"])
    assert out["shape"] == [256, 256] and label_map.shape == (256, 256)
    assert label_map.min() >= 0 and label_map.max() < out["classes"]


def test_predict_folder_writes_drawings_label_maps_and_json(trained):
    root, config, checkpoint = trained
    done = run_visionbox(
        ["predict", config, checkpoint, "data/shapes_seg/img_dir/val", "--out-dir", "out"], root
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(os.listdir(root / "out" / "vis")) == ["000001.jpg", "000002.jpg"]
    preds = sorted(os.listdir(root / "out" / "preds"))
    assert preds == ["000001.json", "000001.png", "000002.json", "000002.png"]
    label_map = cv2.imread(str(root / "out" / "preds" / "000002.png"), cv2.IMREAD_UNCHANGED)
    saved = json.loads((root / "out" / "preds" / "000002.json").read_text())
    assert (np.asarray(saved["sem_seg"]) == label_map).all()


def test_mistakes_are_named(trained, tmp_path, capsys):
    from visionbox.segmentation.apis import SegInferencer

    root, config, checkpoint = trained
    inferencer = SegInferencer(config, checkpoint, device="cpu")
    with pytest.raises(ValueError, match="channels-first"):
        inferencer([np.zeros((32, 32, 3), np.uint8), np.zeros((3, 64, 64), np.float32)])
    gray = inferencer(np.full((40, 48), 100, np.uint8))["predictions"][0]["sem_seg"]
    assert np.asarray(gray).shape == (40, 48)
    truncated = tmp_path / "cut.pth"
    truncated.write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    image = str(root / "data" / "shapes_seg" / "img_dir" / "val" / "000001.jpg")
    assert main(["predict", config, str(truncated), image]) == 2
    assert str(truncated) in capsys.readouterr().err
