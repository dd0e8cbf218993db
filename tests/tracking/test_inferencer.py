"""`visionbox demo tracking` on tiny Shapes MOT (train, test, metrics table), its checkpoint
through `visionbox track` and MOTInferencer in a fresh process; SOTInferencer on frames."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from visionbox.core.cli import main
from visionbox.core.testing.cli import run_python, run_visionbox

TINY = [
    "train_cfg.max_epochs=1",
    "default_hooks.checkpoint.interval=1",
    "train_dataloader.batch_size=8",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(folder, demo output, config, checkpoint) of `visionbox demo tracking`, one epoch."""
    root = tmp_path_factory.mktemp("mot_demo")
    done = run_visionbox(
        ["demo", "tracking", "--num-train", "1", "--num-val", "1", "--cfg-options", *TINY], root
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    work = root / "work_dirs" / "demo_tracking"
    checkpoint = (work / "last_checkpoint").read_text().strip()
    return root, done.stdout, str(work / "bytetrack_faster-rcnn_r18_fpn_shapes.py"), checkpoint


def _sequence(root) -> str:
    (name,) = os.listdir(root / "data" / "shapes_mot" / "SHAPES-val")
    return str(root / "data" / "shapes_mot" / "SHAPES-val" / name / "img1")


def test_demo_tracking_trains_tests_and_prints_one_table(demo):
    _, output, _, checkpoint = demo
    assert output.count("[4/4] results") == 1 and "HOTA" in output and "MOTA" in output
    assert os.path.isfile(checkpoint) and "System environment" not in output
    assert len(output.splitlines()) < 80


def test_track_writes_frames_and_one_json_per_video(demo):
    root, _, config, checkpoint = demo
    sequence = _sequence(root)
    done = run_visionbox(["track", config, checkpoint, sequence, "--out-dir", "out"], root)
    assert done.returncode == 0, done.stderr[-3000:]
    name = os.path.basename(os.path.dirname(sequence))
    frames = sorted(os.listdir(sequence))
    assert len(os.listdir(root / "out" / "vis" / name)) == len(frames)
    preds = json.loads((root / "out" / "preds" / f"{name}.json").read_text())
    assert [p["frame_id"] for p in preds] == list(range(len(frames)))
    assert set(preds[5]) == {"frame_id", "bboxes", "scores", "labels", "instances_id"}


FRESH = """
import json, sys
from visionbox.tracking.apis import MOTInferencer, init_track_model
config, checkpoint, folder = sys.argv[1:]
model = init_track_model(config, checkpoint)
result = MOTInferencer(config, checkpoint, device="cpu")(folder)
print(json.dumps(dict(model=type(model).__name__, n=len(result["predictions"]),
                      last=result["predictions"][-1])))
"""


def test_fresh_process_loads_the_checkpoint_through_the_apis(demo, tmp_path):
    import cv2

    root, _, config, checkpoint = demo
    sequence = _sequence(root)
    short = tmp_path / "short"
    short.mkdir()
    for name in sorted(os.listdir(sequence))[:4]:
        cv2.imwrite(str(short / name), cv2.imread(os.path.join(sequence, name)))
    done = run_python(["-c", FRESH, config, checkpoint, str(short)], root)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["model"] == "ByteTrack" and out["n"] == 4 and out["last"]["frame_id"] == 3
    assert len(out["last"]["bboxes"]) == len(out["last"]["instances_id"])


def test_sot_inferencer_follows_the_box_and_mistakes_are_named(demo, capsys):
    from visionbox.tracking.apis import SOTInferencer

    root, _, config, checkpoint = demo
    sot = SOTInferencer("tracking::shapes/siamese-rpn_r18_shapes.py", device="cpu")
    frames = [np.full((128, 160, 3), 30 * i, np.uint8) for i in range(3)]
    result = sot(frames, init_bbox=[10, 20, 50, 60])
    assert [p["frame_id"] for p in result["predictions"]] == [0, 1, 2]
    assert result["predictions"][0]["bbox"] == [10.0, 20.0, 50.0, 60.0]
    assert all(len(p["bbox"]) == 4 for p in result["predictions"])
    with pytest.raises(ValueError, match="x2 > x1"):
        sot(frames, init_bbox=[50, 20, 10, 60])
    with pytest.raises(ValueError, match="channels-first"):
        sot([np.zeros((3, 64, 64), np.uint8)], init_bbox=[1, 1, 9, 9])
    sequence = _sequence(root)
    assert main(["track", "tracking::shapes/siamese-rpn_r18_shapes.py", checkpoint, sequence]) == 2
    assert "--init-bbox" in capsys.readouterr().err
    assert main(["track", config, checkpoint, str(root / "nowhere.mp4")]) == 2
    assert "nowhere.mp4" in capsys.readouterr().err
