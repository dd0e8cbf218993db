"""A checkpoint written by tools/detection/train.py, used the ways a user would after training:
init_detector and DetInferencer in a fresh process that imports only the apis, `visionbox
predict` on a folder, and the mistakes (wrong or truncated checkpoint, channels-first array)
named before any work."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from visionbox.core.cli import main
from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.testing.cli import repo_root, run_python, run_visionbox, train_tiny

CONFIG = "detection::shapes/faster-rcnn_r18_fpn_shapes.py"
TINY = [
    "train_cfg.max_epochs=1",
    "train_dataloader.batch_size=4",
    "default_hooks.checkpoint.interval=1",
    "model.backbone.base_channels=8",
    "model.neck.in_channels=[8,16,32,64]",
    "val_cfg=None",
    "val_dataloader=None",
    "val_evaluator=None",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(folder, dumped config, checkpoint) of a 2-iteration Faster R-CNN on 8 Shapes images."""
    root = tmp_path_factory.mktemp("det_inferencer")
    make_shapes("detection", root / "data" / "shapes_det", num_train=8, num_val=3)
    from visionbox.core.config import resolve_scoped_path

    checkpoint = train_tiny("detection", str(resolve_scoped_path(CONFIG)), root, "work", TINY)
    return root, str(root / "work" / "faster-rcnn_r18_fpn_shapes.py"), checkpoint


FRESH = """
import json, sys
from visionbox.detection.apis import DetInferencer, inference_detector, init_detector
config, checkpoint, image = sys.argv[1:]
model = init_detector(config, checkpoint)
sample = inference_detector(model, image)
result = DetInferencer(config, checkpoint, device="cpu")(image)
print(json.dumps(dict(
    classes=list(model.dataset_meta["classes"]),
    n=len(sample.pred_instances),
    modules=sorted(m for m in sys.modules if m.startswith("visionbox.") and m.count(".") == 1),
    pred=result["predictions"][0],
)))
"""


def test_fresh_process_loads_the_checkpoint_through_the_apis(trained):
    root, config, checkpoint = trained
    image = str(root / "data" / "shapes_det" / "val" / "000001.jpg")
    done = run_python(["-c", FRESH, config, checkpoint, image], root)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["classes"] == ["circle", "square", "triangle", "star", "cross"]
    assert "visionbox.segmentation" not in out["modules"] and "visionbox.pose" not in out["modules"]
    pred = out["pred"]
    assert len(pred["bboxes"]) == len(pred["scores"]) == len(pred["labels"]) == out["n"] > 0
    assert all(len(box) == 4 for box in pred["bboxes"])


def test_predict_folder_writes_a_drawing_and_a_json_per_image(trained):
    root, config, checkpoint = trained
    done = run_visionbox(
        ["predict", config, checkpoint, "data/shapes_det/val", "--out-dir", "out"], root
    )
    assert done.returncode == 0, done.stderr[-3000:]
    names = ["000001", "000002", "000003"]
    assert sorted(os.listdir(root / "out" / "vis")) == [f"{n}.jpg" for n in names]
    assert sorted(os.listdir(root / "out" / "preds")) == [f"{n}.json" for n in names]
    pred = json.loads((root / "out" / "preds" / "000002.json").read_text())
    assert set(pred) == {"labels", "scores", "bboxes"}
    assert done.stdout.strip().splitlines()[-1].startswith("DetInferencer: 3 images")
    assert len((done.stdout + done.stderr).splitlines()) < 10

    done = run_visionbox(
        ["predict", config, checkpoint, "data/shapes_det/val/000003.jpg", "--out-dir", "o2"]
        + ["--no-save-pred", "--score-thr", "0.9", "--no-fuse"],
        root,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert os.listdir(root / "o2") == ["vis"] and os.listdir(root / "o2" / "vis") == ["000003.jpg"]


def test_wrong_and_truncated_checkpoints_and_bad_inputs_exit_2(trained, tmp_path, capsys):
    root, config, checkpoint = trained
    image = str(root / "data" / "shapes_det" / "val" / "000001.jpg")
    wrong = tmp_path / "pose.pth"
    torch.save(dict(state_dict={"head.final_layer.weight": torch.zeros(17, 32, 1, 1)}), wrong)
    assert main(["predict", config, str(wrong), image, "--out-dir", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "does not fit the model FasterRCNN" in err and "1 unexpected key(s)" in err
    assert "Traceback" not in err and not (tmp_path / "o").exists()

    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(Path(checkpoint).read_bytes()[:1000])
    assert main(["test", config, str(truncated), "--work-dir", str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err
    assert str(truncated) in err and "truncated" in err
    assert not (tmp_path / "w").exists()  # refused before the runner and its data loaders

    assert main(["predict", config, checkpoint, str(tmp_path / "nowhere.jpg")]) == 2
    assert "nowhere.jpg" in capsys.readouterr().err

    # tools/detection/test.py: the same one message and status 2, before a data loader exists
    tool = str(repo_root() / "tools" / "detection" / "test.py")
    done = run_python([tool, config, str(wrong), "--work-dir", str(tmp_path / "t")], root)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "test.py: error: Checkpoint" in done.stderr and "does not fit" in done.stderr
    assert not (tmp_path / "t").exists()


def test_demo_tool_draws_through_the_inferencer_and_names_a_missing_image(trained, tmp_path):
    root, config, checkpoint = trained
    tool = str(repo_root() / "tools" / "detection" / "demo.py")
    image = str(root / "data" / "shapes_det" / "val" / "000001.jpg")
    out = tmp_path / "drawn" / "demo.png"
    done = run_python([tool, image, config, checkpoint, "--out-file", str(out)], root)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"drawing saved to {out}" in done.stdout
    assert cv2.imread(str(out)).shape == cv2.imread(image).shape
    done = run_python([tool, str(tmp_path / "nowhere.jpg"), config, checkpoint], root)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"demo.py: error: Image file not found: {tmp_path}/nowhere.jpg"


def test_inferencer_refuses_channels_first_and_tensors(trained):
    from visionbox.detection.apis import DetInferencer, inference_detector

    _, config, checkpoint = trained
    inferencer = DetInferencer(config, checkpoint, device="cpu")
    with pytest.raises(ValueError, match="channels-first"):
        inferencer(np.zeros((3, 128, 128), np.uint8))
    with pytest.raises(ValueError, match="channels-first"):
        inference_detector(inferencer.model, np.zeros((3, 128, 128)))
    with pytest.raises(TypeError, match="torch.Tensor"):
        inference_detector(inferencer.model, torch.zeros(3, 64, 64))
    gray = inference_detector(inferencer.model, np.full((64, 80), 128, np.uint8))
    assert gray.ori_shape == (64, 80)
    two = inferencer([np.zeros((64, 64, 3), np.uint8), np.zeros((48, 80, 3), np.uint8)], 2)
    assert len(two["predictions"]) == 2


def test_unfused_and_fused_models_predict_the_same_boxes(trained):
    from visionbox.detection.apis import inference_detector, init_detector

    root, config, checkpoint = trained
    image = str(root / "data" / "shapes_det" / "val" / "000002.jpg")
    fused = inference_detector(init_detector(config, checkpoint), image).pred_instances
    plain = inference_detector(init_detector(config, checkpoint, fuse=False), image)
    plain = plain.pred_instances
    assert torch.allclose(fused.bboxes, plain.bboxes, atol=1e-2)
    assert torch.allclose(fused.scores, plain.scores, atol=1e-4)


def _test_run(root: Path, config: str, checkpoint: str, name: str, *flags: str) -> tuple:
    """`visionbox test` in a fresh process: (metrics, predictions, log text)."""
    import pickle

    work = root / name
    done = run_visionbox(
        ["test", config, checkpoint, "--work-dir", str(work), "--out", str(work / "r.pkl"), *flags],
        root,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    metrics = json.loads((work / "metrics.json").read_text())
    with open(work / "r.pkl", "rb") as file:
        preds = pickle.load(file)
    return metrics, preds, "".join(p.read_text() for p in work.rglob("*.log"))


def test_test_folds_batchnorms_by_default_and_no_fuse_gives_the_same_metrics(trained):
    root, config, checkpoint = trained
    fused, fused_preds, fused_log = _test_run(root, config, checkpoint, "t_fused")
    plain, plain_preds, plain_log = _test_run(root, config, checkpoint, "t_plain", "--no-fuse")
    assert "BatchNorm(s) folded" in fused_log and "folded" not in plain_log
    assert set(fused) == set(plain) and "coco/bbox_mAP" in fused
    for key, value in plain.items():
        assert fused[key] == pytest.approx(value, abs=1e-4), key
    assert len(fused_preds) == len(plain_preds) == 3
    for a, b in zip(fused_preds, plain_preds, strict=True):
        a, b = a["pred_instances"], b["pred_instances"]
        assert len(b["scores"]) > 0
        torch.testing.assert_close(a["scores"], b["scores"], atol=1e-4, rtol=0)
        torch.testing.assert_close(a["bboxes"], b["bboxes"], atol=1e-2, rtol=0)


@pytest.mark.slow
def test_full_demo_prints_under_80_lines_and_reaches_its_map(tmp_path):
    done = run_visionbox(["demo", "detection"], tmp_path, timeout=3600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = (done.stdout + done.stderr).splitlines()
    assert len(lines) < 80, "\n".join(lines)
    (row,) = [line for line in lines if line.startswith("| coco/bbox_mAP ")]
    assert float(row.split("|")[2]) >= 0.5


def test_predict_on_a_video_goes_frame_by_frame(trained, tmp_path, capsys):
    import cv2

    root, config, checkpoint = trained
    video = str(tmp_path / "clip.avi")
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"MJPG"), 5, (256, 256))
    if not writer.isOpened():
        pytest.skip("this OpenCV build writes no MJPG .avi")
    for name in ("000001.jpg", "000002.jpg", "000003.jpg"):
        writer.write(cv2.imread(str(root / "data" / "shapes_det" / "val" / name)))
    writer.release()
    out = tmp_path / "out"
    assert main(["predict", config, checkpoint, video, "--out-dir", str(out)]) == 0
    assert "DetInferencer: 3 images and frames" in capsys.readouterr().out
    assert len(os.listdir(out / "clip" / "vis")) == len(os.listdir(out / "clip" / "preds")) == 3
