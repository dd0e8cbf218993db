"""CocoDataset, LoadAnnotations and PackDetInputs on a hand-made COCO file."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch

from visionbox.core.datasets.shapes import rle_encode
from visionbox.core.structures import BitmapMasks, PolygonMasks
from visionbox.detection.registry import DATASETS, TRANSFORMS
from visionbox.detection.structures import DetDataSample


def _coco(tmp_path, extra_images=()):
    img_dir = tmp_path / "imgs"
    img_dir.mkdir()
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        cv2.imwrite(str(img_dir / name), np.full((40, 50, 3), 128, np.uint8))
    crowd = np.zeros((40, 50), np.uint8)
    crowd[5:15, 5:20] = 1
    data = dict(
        images=[
            dict(id=1, file_name="a.jpg", width=50, height=40),
            dict(id=2, file_name="b.jpg", width=50, height=40),
            dict(id=3, file_name="c.jpg", width=50, height=40),
            *extra_images,
        ],
        categories=[dict(id=7, name="cat"), dict(id=9, name="dog"), dict(id=11, name="owl")],
        annotations=[
            dict(id=1, image_id=1, category_id=9, bbox=[10, 10, 20, 10], area=200, iscrowd=0,
                 segmentation=[[10, 10, 30, 10, 30, 20, 10, 20]]),
            dict(id=2, image_id=1, category_id=7, bbox=[5, 5, 15, 10], area=150, iscrowd=1,
                 segmentation=rle_encode(crowd)),
            dict(id=3, image_id=1, category_id=7, bbox=[0, 0, 0.5, 8], area=4, iscrowd=0),
            dict(id=4, image_id=2, category_id=11, bbox=[1, 1, 10, 10], area=100, iscrowd=0,
                 segmentation=[[1, 1, 11, 1, 11, 11]]),
        ],
    )  # fmt: skip
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(data))
    return path


def _dataset(tmp_path, **kwargs):
    cfg = dict(
        type="CocoDataset",
        data_root=str(tmp_path),
        ann_file="ann.json",
        data_prefix=dict(img="imgs/"),
    )
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_coco_dataset_parses_boxes_crowds_and_masks(tmp_path):
    _coco(tmp_path)
    ds = _dataset(tmp_path, metainfo=dict(classes=("cat", "dog", "owl")))
    assert len(ds) == 3
    info = ds.get_data_info(0)
    assert info["img_path"].endswith("imgs/a.jpg") and (info["height"], info["width"]) == (40, 50)
    # The 0.5-pixel-wide annotation is dropped; the crowd is kept as ignored.
    insts = info["instances"]
    assert [i["bbox"] for i in insts] == [[10, 10, 30, 20], [5, 5, 20, 15]]
    assert [i["bbox_label"] for i in insts] == [1, 0]
    assert [i["ignore_flag"] for i in insts] == [0, 1]
    assert isinstance(insts[0]["mask"], list) and isinstance(insts[1]["mask"], dict)


def test_class_subset_and_filter_cfg(tmp_path):
    _coco(tmp_path)
    ds = _dataset(tmp_path, metainfo=dict(classes=("owl", "dog")))
    assert ds.metainfo["classes"] == ("owl", "dog")
    assert [i["bbox_label"] for i in ds.get_data_info(1)["instances"]] == [0]
    assert [i["bbox_label"] for i in ds.get_data_info(0)["instances"]] == [1]
    filtered = _dataset(
        tmp_path,
        metainfo=dict(classes=("owl", "dog")),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
    )
    assert [filtered.get_data_info(i)["img_id"] for i in range(len(filtered))] == [1, 2]
    meta = dict(classes=("cat", "dog", "owl"))
    with pytest.raises(ValueError, match="removes all 3 images"):
        _dataset(tmp_path, metainfo=meta, filter_cfg=dict(filter_empty_gt=False, min_size=45))
    test = _dataset(tmp_path, metainfo=meta, test_mode=True, filter_cfg=dict(filter_empty_gt=True))
    assert len(test) == 3


def test_missing_image_names_its_path(tmp_path):
    _coco(tmp_path, extra_images=[dict(id=4, file_name="gone.jpg", width=50, height=40)])
    with pytest.raises(FileNotFoundError, match="gone.jpg"):
        _dataset(tmp_path, metainfo=dict(classes=("cat",)))


def test_metainfo_class_absent_from_the_annotations(tmp_path):
    _coco(tmp_path)
    with pytest.raises(ValueError, match=r"\['dgo'\].*Did you mean 'dog'"):
        _dataset(tmp_path, metainfo=dict(classes=("cat", "dgo")))
    with pytest.raises(FileNotFoundError, match="nothere.json"):
        _dataset(tmp_path, ann_file="nothere.json")
    with pytest.raises(ValueError, match=r"'person', .*78 in all.*metainfo=dict"):
        _dataset(tmp_path)  # COCO's 80 classes by default


@pytest.mark.parametrize("poly2mask", [True, False])
def test_load_annotations_and_pack(tmp_path, poly2mask):
    _coco(tmp_path)
    ds = _dataset(
        tmp_path,
        metainfo=dict(classes=("cat", "dog", "owl")),
        pipeline=[
            dict(type="LoadImageFromFile"),
            dict(type="LoadAnnotations", with_bbox=True, with_mask=True, poly2mask=poly2mask),
            dict(type="PackDetInputs"),
        ],
    )
    out = ds[0]
    sample = out["data_samples"]
    assert isinstance(sample, DetDataSample) and out["inputs"].shape == (3, 40, 50)
    gt, ignored = sample.gt_instances, sample.ignored_instances
    torch.testing.assert_close(gt.bboxes, torch.tensor([[10.0, 10, 30, 20]]))
    assert gt.labels.tolist() == [1] and len(ignored) == 1
    if poly2mask:
        assert isinstance(gt.masks, BitmapMasks)
        mask = gt.masks.masks[0]
        assert mask[12:18, 12:28].all() and mask.sum() == pytest.approx(200, abs=40)
        assert ignored.masks.masks[0].sum() == 150  # the crowd's RLE, decoded
    else:
        assert isinstance(gt.masks, PolygonMasks)
    assert sample.img_id == 1 and sample.ori_shape == (40, 50)


def test_load_annotations_needs_instances():
    transform = TRANSFORMS.build(dict(type="LoadAnnotations"))
    with pytest.raises(KeyError, match="instances"):
        transform(dict(img_path="x.jpg"))


def test_aspect_ratio_batch_sampler(tmp_path):
    from mmengine.dataset import DefaultSampler

    from visionbox.detection.registry import DATA_SAMPLERS

    _coco(tmp_path)
    ds = _dataset(tmp_path, metainfo=dict(classes=("cat",)))
    sampler = DATA_SAMPLERS.build(
        dict(type="AspectRatioBatchSampler", batch_size=2),
        default_args=dict(sampler=DefaultSampler(ds, shuffle=False)),
    )
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == [0, 1, 2]
    assert [len(b) for b in batches] == [2, 1] and len(sampler) == 2
