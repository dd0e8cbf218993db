"""MOTChallengeDataset on Shapes MOT, track transforms, TrackImgSampler."""

from __future__ import annotations

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from visionbox.core.datasets import read_mot_txt
from visionbox.tracking.datasets import TrackImgSampler
from visionbox.tracking.registry import DATASETS
from visionbox.tracking.structures import TrackDataSample

PIPELINE = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadTrackAnnotations"),
    dict(type="Resize", scale=(128, 128), keep_ratio=True),
    dict(type="PackTrackInputs"),
]


def build(root, split="val", **kwargs):
    init_default_scope("tracking")
    cfg = dict(
        type="MOTChallengeDataset",
        data_root=str(root),
        ann_file=f"seqmaps/SHAPES-{split}.txt",
        data_prefix=dict(img_path=f"SHAPES-{split}"),
        pipeline=PIPELINE,
        **kwargs,
    )
    return DATASETS.build(cfg)


def test_frames_and_annotations_match_gt(shapes_mot):
    ds = build(shapes_mot, test_mode=True)
    assert ds.num_videos == 2 and len(ds) == 160
    gt = read_mot_txt(shapes_mot / "SHAPES-val" / "SHAPES-02" / "gt" / "gt.txt")
    item = ds[9]  # frame 10 of the first sequence
    assert item["inputs"].shape == (1, 3, 128, 128)
    sample = item["data_samples"]
    assert isinstance(sample, TrackDataSample) and len(sample) == 1
    frame = sample[0]
    assert frame.frame_id == 9 and frame.video_name == "SHAPES-02" and frame.video_length == 80
    rows = gt[gt[:, 0] == 10]
    order = np.argsort(frame.gt_instances.instances_id.numpy())
    np.testing.assert_array_equal(
        frame.gt_instances.instances_id.numpy()[order], np.sort(rows[:, 1])
    )
    boxes = rows[np.argsort(rows[:, 1])][:, 2:6].copy()
    boxes[:, 2:] += boxes[:, :2]
    np.testing.assert_allclose(frame.gt_instances.bboxes.numpy()[order], boxes * 0.5, atol=1e-3)
    assert ds.get_data_info((1, 0))["video_name"] == "SHAPES-03"


def test_visibility_thr_and_ignore(shapes_mot, tmp_path):
    low = build(shapes_mot, test_mode=True)
    high = build(shapes_mot, test_mode=True, visibility_thr=0.9)
    count = lambda d: sum(len(d.get_data_info(i)["instances"]) for i in range(len(d)))  # noqa: E731
    assert count(high) < count(low)


def test_sampler_yields_videos_in_order(shapes_mot):
    ds = build(shapes_mot, test_mode=True)
    indices = list(TrackImgSampler(ds))
    assert indices == list(range(160))
    frames = [ds.get_data_info(i)["frame_id"] for i in indices[:80]]
    assert frames == list(range(80))


def test_missing_seqinfo_names_its_path(shapes_mot, tmp_path):
    (tmp_path / "SHAPES-val" / "BROKEN").mkdir(parents=True)
    (tmp_path / "seqmaps").mkdir()
    (tmp_path / "seqmaps" / "SHAPES-val.txt").write_text("name\nBROKEN\n")
    with pytest.raises(FileNotFoundError, match="seqinfo.ini"):
        build(tmp_path, test_mode=True)


def test_half_split_counts_frames_from_zero(shapes_mot):
    ds = build(shapes_mot, test_mode=True, frame_range=(0.5, 1.0))
    assert len(ds) == 80
    info = ds.get_data_info(0)
    assert info["frame_id"] == 0 and info["ori_frame_id"] == 40
    assert info["img_path"].endswith("000041.jpg")
    with pytest.raises(ValueError, match="frame_range"):
        build(shapes_mot, test_mode=True, frame_range=(0.5, 0.5))
