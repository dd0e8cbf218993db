"""Segmentation datasets and transforms on a tiny VisionBox Shapes set."""

from __future__ import annotations

import numpy as np
import pytest

from visionbox.core.datasets.shapes import make_shapes
from visionbox.segmentation.datasets import ShapesSegDataset
from visionbox.segmentation.datasets.transforms import RandomCrop
from visionbox.segmentation.registry import DATASETS

PIPELINE = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations"),
    dict(type="RandomCrop", crop_size=(64, 48), cat_max_ratio=0.75),
    dict(type="PackSegInputs"),
]


@pytest.fixture(scope="module")
def shapes_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes_seg")
    make_shapes("segmentation", root, seed=0, num_train=3, num_val=2)
    return str(root)


def _dataset(root, **kwargs):
    cfg = dict(
        type="ShapesSegDataset",
        data_root=root,
        data_prefix=dict(img_path="img_dir/train", seg_map_path="ann_dir/train"),
        pipeline=PIPELINE,
    )
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_dataset_scans_folders_and_packs_samples(shapes_root):
    ds = _dataset(shapes_root)
    assert len(ds) == 3
    assert ds.metainfo["classes"][0] == "background" and len(ds.metainfo["palette"]) == 6
    item = ds[0]
    assert item["inputs"].shape == (3, 64, 48)
    seg = item["data_samples"].gt_sem_seg.data
    assert seg.shape == (1, 64, 48) and seg.dtype.is_floating_point is False
    assert item["data_samples"].metainfo["seg_map_path"].endswith("000001.png")


def test_class_subset_gives_a_label_map(shapes_root):
    ds = _dataset(shapes_root, metainfo=dict(classes=("background", "square")), pipeline=[])
    assert ds.label_map == {0: 0, 1: 255, 2: 1, 3: 255, 4: 255, 5: 255}
    assert ds.metainfo["palette"] == [
        ShapesSegDataset.METAINFO["palette"][0],
        ShapesSegDataset.METAINFO["palette"][2],
    ]
    from visionbox.segmentation.registry import TRANSFORMS

    loader = TRANSFORMS.build(dict(type="LoadAnnotations"))
    raw = loader(dict(ds.get_data_info(0), label_map=None))["gt_seg_map"].copy()
    mapped = loader(ds.get_data_info(0))["gt_seg_map"]
    assert set(np.unique(mapped)) <= {0, 1, 255}
    assert ((raw == 2) == (mapped == 1)).all() and ((raw == 0) == (mapped == 0)).all()


def test_reduce_zero_label(shapes_root):
    ds = _dataset(shapes_root, reduce_zero_label=True, pipeline=[dict(type="LoadAnnotations")])
    plain = _dataset(shapes_root, pipeline=[dict(type="LoadAnnotations")])
    reduced, raw = ds[0]["gt_seg_map"], plain[0]["gt_seg_map"]
    assert ((raw == 0) == (reduced == 255)).all()
    assert (reduced[raw > 0] == raw[raw > 0] - 1).all()


def test_unknown_class_and_missing_folder_fail_clearly(shapes_root, tmp_path):
    with pytest.raises(ValueError, match="hexagon"):
        _dataset(shapes_root, metainfo=dict(classes=("background", "hexagon")))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        _dataset(str(tmp_path), data_prefix=dict(img_path="nowhere", seg_map_path="x"))


def test_random_crop_respects_cat_max_ratio():
    np.random.seed(0)
    seg = np.zeros((100, 100), np.uint8)
    seg[:, 80:] = 1  # a crop of the left part would be a single class
    results = dict(img=np.zeros((100, 100, 3), np.uint8), gt_seg_map=seg, seg_fields=[])
    out = RandomCrop(crop_size=(50, 50), cat_max_ratio=0.75)(results)
    labels, counts = np.unique(out["gt_seg_map"], return_counts=True)
    assert out["img"].shape == (50, 50, 3) and len(labels) == 2
    assert counts.max() / counts.sum() < 0.75
