"""Readers and the dataset base fail with the file, the record and the reason."""

from __future__ import annotations

import json

import pytest

from visionbox.core.datasets import (
    AnnotationError,
    BaseVisionDataset,
    coco_problems,
    load_coco_json,
    read_mot_txt,
    read_seqinfo,
    read_sot_groundtruth,
)


def coco(**ann_overrides) -> dict:
    ann = {
        "id": 7,
        "image_id": 1,
        "category_id": 1,
        "bbox": [1, 2, 3, 4],
        "area": 12,
        "segmentation": [[1, 2, 4, 2, 4, 6]],
        "iscrowd": 0,
    }
    ann.update(ann_overrides)
    return {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 8}],
        "annotations": [ann],
        "categories": [{"id": 1, "name": "circle"}],
    }


def test_valid_coco_has_no_problems(tmp_path):
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(coco()))
    assert load_coco_json(path)["annotations"][0]["id"] == 7


def test_negative_width_names_file_annotation_id_and_problem(tmp_path):
    path = tmp_path / "instances_bad.json"
    path.write_text(json.dumps(coco(bbox=[5, 5, -3, 4])))
    with pytest.raises(AnnotationError) as err:
        load_coco_json(path)
    message = str(err.value)
    assert str(path) in message
    assert "annotation id 7" in message
    assert "negative width" in message


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"image_id": 9}, "image_id 9 is not in 'images'"),
        ({"category_id": 3}, "category_id 3"),
        ({"bbox": [1, 2, 3]}, "not 4 finite numbers"),
        ({"bbox": [1, 2, 3, -1]}, "negative height"),
        ({"segmentation": [[1, 2, 3]]}, "at least 6"),
        ({"iscrowd": 2}, "iscrowd"),
        ({"segmentation": {"counts": [80], "size": [9, 10]}}, "RLE size"),
    ],
)
def test_coco_problems(overrides, problem):
    problems = coco_problems(coco(**overrides))
    assert len(problems) == 1 and problem in problems[0][1]
    assert problems[0][0].startswith("annotation id 7")


def test_missing_and_broken_coco_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.json"):
        load_coco_json(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"images": [')
    with pytest.raises(AnnotationError, match="broken.json.*invalid JSON"):
        load_coco_json(broken)


def test_mot_and_sot_readers(tmp_path):
    gt = tmp_path / "gt.txt"
    gt.write_text("1,1,10,20,5,6,1,1,0.5\n2,1,11,20,5,6,1,1,1.0\n")
    arr = read_mot_txt(gt)
    assert arr.shape == (2, 9) and arr[1, 2] == 11
    gt.write_text("1,1,10,20,5,6,1,1,0.5\n2,1,abc,20,5,6,1,1,1.0\n")
    with pytest.raises(AnnotationError, match=r"gt.txt: line 2 .*not numbers"):
        read_mot_txt(gt)
    ini = tmp_path / "seqinfo.ini"
    ini.write_text("[Sequence]\nname=S\nframeRate=10\nseqLength=5\nimWidth=8\nimHeight=6\n")
    assert read_seqinfo(ini)["seqLength"] == 5
    sot = tmp_path / "groundtruth.txt"
    sot.write_text("1,2,3,4\n5\t6\t7\t8\n")
    assert read_sot_groundtruth(sot).tolist() == [[1, 2, 3, 4], [5, 6, 7, 8]]
    sot.write_text("1,2,3\n")
    with pytest.raises(AnnotationError, match="line 1"):
        read_sot_groundtruth(sot)


def _dataset_file(tmp_path, data_list):
    path = tmp_path / "ann.json"
    path.write_text(json.dumps({"metainfo": {"classes": ["a", "b"]}, "data_list": data_list}))
    return path


def test_dataset_base(tmp_path):
    infos = [
        {
            "img_path": f"{i}.jpg",
            "width": 20,
            "height": 20,
            "instances": [] if i % 2 else [{"bbox": [0, 0, 5, 5], "bbox_label": 0}],
        }
        for i in range(6)
    ]
    path = _dataset_file(tmp_path, infos)
    ds = BaseVisionDataset(
        ann_file=str(path),
        data_prefix=dict(img_path="imgs"),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=[dict(type="PackInputs")],
    )
    assert len(ds) == 3 and ds.metainfo["classes"] == ["a", "b"]
    assert ds.get_data_info(0)["img_path"].endswith("imgs/0.jpg")
    assert (
        len(
            BaseVisionDataset(
                ann_file=str(path), test_mode=True, filter_cfg=dict(filter_empty_gt=True)
            )
        )
        == 6
    )
    assert len(BaseVisionDataset(ann_file=str(path), indices=2)) == 2
    lazy = BaseVisionDataset(ann_file=str(path), lazy_init=True, serialize_data=False)
    assert not lazy._fully_initialized and len(lazy) == 6


def test_dataset_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.json"):
        BaseVisionDataset(ann_file=str(tmp_path / "missing.json"))
    with pytest.raises(KeyError, match="filter_empty_gt"):
        BaseVisionDataset(ann_file="x", filter_cfg=dict(filter_empty=True), lazy_init=True)

    class Strict(BaseVisionDataset):
        def parse_data_info(self, raw):
            return {"img_path": raw["file_name"]}

    path = _dataset_file(tmp_path, [{"file_name": "a.jpg"}, {"name": "b.jpg"}])
    with pytest.raises(AnnotationError) as err:
        Strict(ann_file=str(path))
    assert str(path) in str(err.value) and "record 1" in str(err.value)
    assert "b.jpg" in str(err.value) and "file_name" in str(err.value)
