"""VisionBox Shapes: standard formats that the reference readers accept, and determinism."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from pycocotools.coco import COCO

from visionbox.core.datasets import coco_problems, read_mot_txt, read_seqinfo, read_sot_groundtruth
from visionbox.core.datasets.shapes import CLASSES, TASKS, make_shapes


def tree_digest(root) -> dict[str, str]:
    out = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return out


SMALL = {
    "detection": (6, 2),
    "segmentation": (4, 2),
    "pose": (6, 2),
    "pose3d": (2, 1),
    "mot": (1, 1),
    "sot": (1, 1),
}


@pytest.mark.parametrize("task", TASKS)
def test_same_seed_gives_byte_identical_files(task, tmp_path):
    n_train, n_val = SMALL[task]
    make_shapes(task, tmp_path / "a", seed=3, num_train=n_train, num_val=n_val)
    make_shapes(task, tmp_path / "b", seed=3, num_train=n_train, num_val=n_val)
    make_shapes(task, tmp_path / "c", seed=4, num_train=n_train, num_val=n_val)
    a, b, c = (tree_digest(tmp_path / k) for k in "abc")
    assert a and a == b
    assert a != c


def test_detection_coco_loads_with_pycocotools(tmp_path):
    (train, _) = make_shapes("detection", tmp_path, seed=0, num_train=40, num_val=2)
    data = json.loads(Path(train).read_text())
    assert coco_problems(data) == []
    api = COCO(train)
    assert sorted(api.getCatIds()) == [1, 2, 3, 4, 5]
    assert [c["name"] for c in api.loadCats(api.getCatIds())] == list(CLASSES)
    anns = api.loadAnns(api.getAnnIds())
    assert any(a["iscrowd"] for a in anns) and any(not a["iscrowd"] for a in anns)
    for ann in anns[:20]:
        mask = api.annToMask(ann)
        x, y, w, h = ann["bbox"]
        ys, xs = np.nonzero(mask)
        assert xs.min() >= x - 1 and xs.max() <= x + w + 1 and ys.min() >= y - 1
        assert abs(mask.sum() - ann["area"]) <= 0.15 * ann["area"] + 10
    img = cv2.imread(str(tmp_path / "train" / api.loadImgs(1)[0]["file_name"]))
    assert img.shape == (256, 256, 3)


def test_segmentation_label_maps(tmp_path):
    make_shapes("segmentation", tmp_path, seed=0, num_train=3, num_val=1)
    label = cv2.imread(str(tmp_path / "ann_dir" / "train" / "000001.png"), cv2.IMREAD_UNCHANGED)
    img = cv2.imread(str(tmp_path / "img_dir" / "train" / "000001.jpg"))
    assert label.dtype == np.uint8 and label.shape == img.shape[:2] == (256, 256)
    assert set(np.unique(label)) <= set(range(len(CLASSES) + 1)) and label.max() > 0
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["classes"][0] == "background" and len(meta["palette"]) == len(CLASSES) + 1
    assert sorted(os.listdir(tmp_path / "img_dir" / "val")) == ["000001.jpg"]


def test_pose_keypoints_and_dataset_info(tmp_path):
    (train, _) = make_shapes("pose", tmp_path, seed=0, num_train=30, num_val=1)
    data = json.loads(Path(train).read_text())
    assert coco_problems(data) == []
    api = COCO(train)
    cat = api.loadCats(1)[0]
    assert len(cat["keypoints"]) == 11 and len(cat["skeleton"]) == 10
    vis = np.concatenate([np.array(a["keypoints"][2::3]) for a in data["annotations"]])
    assert (vis == 2).any() and (vis == 1).any()
    info = Config.fromfile(str(tmp_path / "dataset_info.py")).dataset_info
    assert len(info["sigmas"]) == 11 and info["flip_indices"][2] == 3
    names = [info["keypoint_info"][i]["name"] for i in range(11)]
    for i, j in enumerate(info["flip_indices"]):
        assert names[j] == (info["keypoint_info"][i]["swap"] or names[i])
    # left keypoints are on the image-left side of their figure's neck
    for ann in data["annotations"]:
        k = np.array(ann["keypoints"]).reshape(-1, 3)
        assert k[4, 0] < k[1, 0] < k[5, 0] or k[2, 0] < k[3, 0]


def test_pose3d_projection(tmp_path):
    (train, _) = make_shapes("pose3d", tmp_path, seed=0, num_train=2, num_val=1)
    data = json.loads(Path(train).read_text())
    seq = data["sequences"][0]
    cam = seq["camera"]
    world = np.array(seq["keypoints_3d"])
    R, T = np.array(cam["R"]), np.array(cam["T"])
    cam_xyz = (world - T) @ R.T
    uv = np.array(cam["f"]) * cam_xyz[..., :2] / cam_xyz[..., 2:] + np.array(cam["c"])
    np.testing.assert_allclose(uv, np.array(seq["keypoints_2d"]), atol=0.05)
    assert world.shape[1:] == (11, 3) and (cam_xyz[..., 2] > 1).all()


def test_mot_reads_with_trackeval(tmp_path):
    trackeval = pytest.importorskip("trackeval")
    seqs = make_shapes("mot", tmp_path / "gt", seed=0, num_train=1, num_val=1)
    seq = os.path.basename(seqs[0])
    info = read_seqinfo(os.path.join(seqs[0], "seqinfo.ini"))
    gt = read_mot_txt(os.path.join(seqs[0], "gt", "gt.txt"))
    assert (
        gt[:, 0].max() <= info["seqLength"]
        and len(os.listdir(os.path.join(seqs[0], "img1"))) == info["seqLength"]
    )
    # objects enter and leave: some tracks do not span the whole sequence; some are occluded
    spans = [(gt[gt[:, 1] == t, 0].min(), gt[gt[:, 1] == t, 0].max()) for t in np.unique(gt[:, 1])]
    assert any(s > 1 or e < info["seqLength"] for s, e in spans)
    assert (gt[:, 8] < 0.9).any()
    tracker = tmp_path / "trackers" / "SHAPES-train" / "perfect" / "data"
    tracker.mkdir(parents=True)
    lines = [",".join(f"{v:g}" for v in row[:6]) + ",1,-1,-1,-1\n" for row in gt]
    (tracker / f"{seq}.txt").write_text("".join(lines))
    config = trackeval.datasets.MotChallenge2DBox.get_default_dataset_config()
    config.update(
        GT_FOLDER=str(tmp_path / "gt"),
        TRACKERS_FOLDER=str(tmp_path / "trackers"),
        BENCHMARK="SHAPES",
        SPLIT_TO_EVAL="train",
        TRACKERS_TO_EVAL=["perfect"],
        PRINT_CONFIG=False,
    )
    dataset = trackeval.datasets.MotChallenge2DBox(config)
    assert dataset.seq_list == [seq]
    raw = dataset.get_raw_seq_data("perfect", seq)
    assert raw["num_timesteps"] == info["seqLength"]
    data = dataset.get_preprocessed_seq_data(raw, "pedestrian")
    clear = trackeval.metrics.CLEAR({"PRINT_CONFIG": False}).eval_sequence(data)
    assert data["num_gt_ids"] >= 5 and clear["MOTA"] == pytest.approx(1.0)


def test_sot_sequences(tmp_path):
    seqs = make_shapes("sot", tmp_path, seed=0, num_train=1, num_val=1)
    boxes = read_sot_groundtruth(os.path.join(seqs[0], "groundtruth.txt"))
    frames = sorted(f for f in os.listdir(seqs[0]) if f.endswith(".jpg"))
    assert len(frames) == len(boxes) == 60 and frames[0] == "00000001.jpg"
    assert (boxes[:, 2:] > 10).all() and (boxes[:, :2] >= -1).all()
    assert (tmp_path / "train" / "list.txt").read_text().split() == [os.path.basename(seqs[0])]


def test_unknown_task():
    with pytest.raises(ValueError, match="Did you mean 'detection'"):
        make_shapes("detections", "/tmp/unused")
