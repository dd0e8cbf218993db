"""tools/tracking/demo_mot.py on a Shapes sequence; ReID crops cut from MOT ground truth."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import pytest
import torch
from mmengine.registry import init_default_scope

from visionbox.tracking.datasets import cut_reid_crops
from visionbox.tracking.registry import DATASETS

from . import toy_detector  # noqa: F401  (registers ColorBlobDetector)

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
default_scope = 'tracking'
model = dict(
    type='ByteTrack',
    data_preprocessor=dict(type='TrackDataPreprocessor', pad_size_divisor=32),
    detector=dict(type='ColorBlobDetector'),
    tracker=dict(type='ByteTracker', init_track_thr=0.6))
test_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(192, 192), keep_ratio=True),
    dict(type='PackTrackInputs')]))
"""


def test_demo_writes_a_video_with_every_frame(shapes_mot, tmp_path):
    spec = importlib.util.spec_from_file_location("demo_mot", ROOT / "tools/tracking/demo_mot.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    frames = tmp_path / "frames"
    frames.mkdir()
    src = shapes_mot / "SHAPES-val" / "SHAPES-02" / "img1"
    for i in range(1, 13):
        (frames / f"{i:06d}.jpg").write_bytes((src / f"{i:06d}.jpg").read_bytes())
    config = tmp_path / "bytetrack_toy.py"
    config.write_text(CONFIG)
    out = tmp_path / "out.mp4"
    demo.main([str(frames), str(config), "--out", str(out)])
    cap = cv2.VideoCapture(str(out))
    count = 0
    while cap.read()[0]:
        count += 1
    assert count == 12
    demo.main([str(frames), str(config), "--out", str(tmp_path / "jpgs")])
    assert len(list((tmp_path / "jpgs").glob("*.jpg"))) == 12
    with pytest.raises(FileNotFoundError, match="missing"):
        demo.main([str(tmp_path / "missing"), str(config), "--out", str(out)])


def test_reid_crops_and_triplet_sampling(shapes_mot, tmp_path):
    seqs = [shapes_mot / "SHAPES-train" / "SHAPES-01"]
    ann = cut_reid_crops(
        [str(s) for s in seqs], str(tmp_path), sample_interval=10, img_scale=(32, 16)
    )
    lines = Path(ann).read_text().splitlines()
    labels = sorted({int(line.split()[1]) for line in lines})
    assert labels == list(range(len(labels))) and len(labels) >= 5
    init_default_scope("tracking")
    pipeline = [dict(type="LoadImageFromFile"), dict(type="PackReIDInputs")]
    ds = DATASETS.build(
        dict(
            type="ReIDDataset",
            ann_file=ann,
            data_prefix=dict(img_path=str(tmp_path)),
            pipeline=pipeline,
            triplet_sampler=dict(num_ids=3, ins_per_id=2),
        )
    )
    item = ds[0]
    assert item["inputs"].shape == (6, 3, 32, 16)
    gt = item["data_samples"].gt_label
    assert gt[0] == gt[1] == ds.get_data_info(0)["gt_label"] and len(set(gt.tolist())) == 3
    single = DATASETS.build(
        dict(
            type="ReIDDataset",
            ann_file=ann,
            data_prefix=dict(img_path=str(tmp_path)),
            pipeline=pipeline,
        )
    )
    assert single[1]["inputs"].dtype == torch.uint8 and len(single) == len(lines)
