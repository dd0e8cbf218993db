"""`visionbox demo pose` on tiny Shapes (train, test, metrics table), then its checkpoint through
init_model and PoseInferencer in a fresh process and `visionbox predict`; bottom-up alone."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from visionbox.core.testing.cli import run_python, run_visionbox

TINY = [
    "train_cfg.max_iters=2",
    "default_hooks.checkpoint.interval=2",
    "train_dataloader.batch_size=4",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(folder, demo output, config, checkpoint) of `visionbox demo pose`, 2 iterations."""
    root = tmp_path_factory.mktemp("pose_demo")
    done = run_visionbox(
        ["demo", "pose", "--num-train", "4", "--num-val", "2", "--cfg-options", *TINY], root
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    work = root / "work_dirs" / "demo_pose"
    checkpoint = (work / "last_checkpoint").read_text().strip()
    return root, done.stdout, str(work / "td-hm_res18-slim_shapes-96x128.py"), checkpoint


def test_demo_pose_trains_tests_and_prints_one_table(demo):
    root, output, _, checkpoint = demo
    lines = output.splitlines()
    assert [line[:5] for line in lines if line.startswith("[")][:4] == [
        "[1/4]",
        "[2/4]",
        "[3/4]",
        "[4/4]",
    ]
    assert "coco/AP" in output and "PCK" in output and os.path.isfile(checkpoint)
    assert "System environment" not in output and "Hooks will be executed" not in output
    assert len(lines) < 60
    assert os.listdir(root / "work_dirs" / "demo_pose" / "show")


FRESH = """
import json, sys
from visionbox.pose.apis import MMPoseInferencer, PoseInferencer, inference_topdown, init_model
config, checkpoint, image = sys.argv[1:]
model = init_model(config, checkpoint)
samples = inference_topdown(model, image)
result = PoseInferencer(config, checkpoint, device="cpu")(image)
assert MMPoseInferencer is PoseInferencer
print(json.dumps(dict(n=len(samples), K=samples[0].pred_instances.keypoints.shape[1],
                      pred=result["predictions"][0])))
"""


def test_fresh_process_loads_the_checkpoint_through_the_apis(demo):
    root, _, config, checkpoint = demo
    image = str(root / "data" / "shapes_pose" / "val" / "000001.jpg")
    done = run_python(["-c", FRESH, config, checkpoint, image], root)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    (instance,) = out["pred"]  # no detector: the whole image is the one box
    assert out["n"] == 1 and len(instance["keypoints"]) == len(instance["keypoint_scores"])
    assert len(instance["keypoints"]) == out["K"] and instance["bbox"] == [[0, 0, 256, 256]]


def test_predict_folder_writes_a_drawing_and_a_json_per_image(demo):
    root, _, config, checkpoint = demo
    done = run_visionbox(
        ["predict", config, checkpoint, "data/shapes_pose/val", "--out-dir", "out"], root
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(os.listdir(root / "out" / "vis")) == ["000001.jpg", "000002.jpg"]
    assert sorted(os.listdir(root / "out" / "preds")) == ["000001.json", "000002.json"]
    (instance,) = json.loads((root / "out" / "preds" / "000001.json").read_text())
    assert set(instance) == {"keypoints", "keypoint_scores", "bbox", "bbox_score"}


def test_bottom_up_alone_and_bad_arrays(demo, monkeypatch):
    from visionbox.pose.apis import PoseInferencer

    root, _, config, checkpoint = demo
    monkeypatch.chdir(root)  # the Shapes configs read their keypoint metainfo from data/
    bottom_up = PoseInferencer("pose::shapes/ae_res18-slim_shapes-128x128.py", device="cpu")
    assert bottom_up.bottom_up and bottom_up.detector is None
    result = bottom_up(np.zeros((96, 128, 3), np.uint8))
    assert isinstance(result["predictions"][0], list)
    with pytest.raises(ValueError, match="det_model is for top-down"):
        PoseInferencer("pose::shapes/ae_res18-slim_shapes-128x128.py", det_model=config)
    top_down = PoseInferencer(config, checkpoint, device="cpu")
    with pytest.raises(ValueError, match="channels-first"):
        top_down(np.zeros((3, 96, 128), np.uint8))
