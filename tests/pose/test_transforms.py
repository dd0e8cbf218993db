"""Top-down transforms and the COCO keypoints dataset: flips swap left and right, the affine crop
and the estimator's back-projection are inverse, targets and packing carry the right keys."""

from __future__ import annotations

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from visionbox.core.datasets.shapes import make_shapes
from visionbox.pose.models.pose_estimators.topdown import to_image_space
from visionbox.pose.registry import DATASETS, TRANSFORMS
from visionbox.pose.structures import bbox_cs2xyxy, bbox_xyxy2cs, get_warp_matrix

FLIP = [0, 2, 1]


def _results(rng):
    kpts = rng.uniform(20, 80, (1, 3, 2)).astype(np.float32)
    return dict(
        img=rng.integers(0, 255, (100, 120, 3), dtype=np.uint8),
        img_shape=(100, 120),
        bbox=np.array([[10, 15, 90, 95]], np.float32),
        keypoints=kpts,
        keypoints_visible=np.array([[1, 1, 0]], np.float32),
        flip_indices=FLIP,
    )


def test_random_flip_swaps_left_and_right_and_mirrors():
    rng = np.random.default_rng(0)
    res = _results(rng)
    original = res["keypoints"].copy()
    out = TRANSFORMS.build(dict(type="RandomFlip", prob=1.0))(dict(res))
    assert out["flip"] and out["flip_direction"] == "horizontal"
    np.testing.assert_allclose(out["keypoints"][0, 1, 0], 119 - original[0, 2, 0])
    np.testing.assert_allclose(out["keypoints_visible"], [[1, 0, 1]])
    np.testing.assert_allclose(out["bbox"], [[119 - 90, 15, 119 - 10, 95]])
    with pytest.raises(KeyError, match="flip_indices"):
        TRANSFORMS.build(dict(type="RandomFlip", prob=1.0))(dict(res, flip_indices=None))


def test_bbox_center_scale_round_trip_and_warp_inverse():
    box = np.array([[10.0, 20.0, 50.0, 100.0]])
    c, s = bbox_xyxy2cs(box, padding=1.25)
    np.testing.assert_allclose(bbox_cs2xyxy(c, s, padding=1.25), box)
    warp = get_warp_matrix(c[0], s[0], 30.0, (48, 64))
    inv = get_warp_matrix(c[0], s[0], 30.0, (48, 64), inv=True)
    pts = np.array([[12.0, 30.0], [40.0, 90.0]])
    moved = pts @ warp[:, :2].T + warp[:, 2]
    np.testing.assert_allclose(moved @ inv[:, :2].T + inv[:, 2], pts, atol=1e-4)


@pytest.mark.parametrize("use_udp", [False, True])
def test_topdown_affine_then_back_projection_recovers_the_keypoints(use_udp):
    rng = np.random.default_rng(1)
    res = _results(rng)
    res = TRANSFORMS.build(dict(type="GetBBoxCenterScale"))(res)
    res = TRANSFORMS.build(dict(type="TopdownAffine", input_size=(48, 64), use_udp=use_udp))(res)
    assert res["img"].shape == (64, 48, 3)
    assert res["input_scale"][0] / res["input_scale"][1] == pytest.approx(48 / 64)
    back = to_image_space(res["transformed_keypoints"], res)
    tol = 1e-3 if not use_udp else 2.0  # UDP maps the box ends to the first/last pixel
    np.testing.assert_allclose(back, res["keypoints"], atol=tol)


def test_half_body_and_bbox_transform_change_the_box():
    rng = np.random.default_rng(2)
    res = _results(rng)
    res["keypoints"] = rng.uniform(20, 80, (1, 3, 2)).astype(np.float32)
    res["keypoints_visible"] = np.ones((1, 3), np.float32)
    res.update(upper_body_ids=[0, 1], lower_body_ids=[2])
    res = TRANSFORMS.build(dict(type="GetBBoxCenterScale"))(res)
    half = TRANSFORMS.build(
        dict(
            type="RandomHalfBody",
            min_total_keypoints=3,
            min_upper_keypoints=2,
            min_lower_keypoints=1,
            prob=1.0,
            upper_prioritized_prob=1.0,
        )
    )(dict(res, bbox_center=res["bbox_center"].copy(), bbox_scale=res["bbox_scale"].copy()))
    upper = res["keypoints"][0, :2]
    np.testing.assert_allclose(half["bbox_center"][0], (upper.min(0) + upper.max(0)) / 2)
    moved = TRANSFORMS.build(dict(type="RandomBBoxTransform", shift_prob=1.0, rotate_prob=1.0))(
        dict(res)
    )
    assert moved["bbox_rotation"].shape == (1,)
    assert not np.allclose(moved["bbox_center"], res["bbox_center"])


def test_generate_target_and_pack(tmp_path):
    rng = np.random.default_rng(3)
    res = _results(rng)
    res["dataset_keypoint_weights"] = np.array([1.0, 2.0, 2.0], np.float32)
    codec = dict(type="MSRAHeatmap", input_size=(48, 64), heatmap_size=(12, 16), sigma=1.0)
    for name in ("GetBBoxCenterScale",):
        res = TRANSFORMS.build(dict(type=name))(res)
    res = TRANSFORMS.build(dict(type="TopdownAffine", input_size=(48, 64)))(res)
    res = TRANSFORMS.build(
        dict(type="GenerateTarget", encoder=codec, use_dataset_keypoint_weights=True)
    )(res)
    assert res["heatmaps"].shape == (3, 16, 12)
    np.testing.assert_allclose(res["keypoint_weights"], [[1, 2, 0]])
    packed = TRANSFORMS.build(dict(type="PackPoseInputs"))(res)
    sample = packed["data_samples"]
    assert packed["inputs"].shape == (3, 64, 48)
    assert tuple(sample.gt_fields.heatmaps.shape) == (3, 16, 12)
    assert tuple(sample.gt_instance_labels.keypoint_weights.shape) == (1, 3)
    assert sample.metainfo["flip_indices"] == FLIP and "input_center" in sample.metainfo


def test_coco_dataset_topdown_and_bottomup_samples(tmp_path):
    init_default_scope("pose")
    root = tmp_path / "shapes"
    make_shapes("pose", str(root), seed=5, num_train=0, num_val=4)
    common = dict(
        data_root=str(root),
        ann_file="annotations/keypoints_val.json",
        data_prefix=dict(img="val/"),
        metainfo=dict(from_file=str(root / "dataset_info.py")),
    )
    topdown = DATASETS.build(dict(type="CocoDataset", **common))
    bottomup = DATASETS.build(dict(type="CocoDataset", data_mode="bottomup", **common))
    assert len(bottomup) == 4
    assert len(topdown) == sum(len(bottomup[i]["keypoints"]) for i in range(4))
    info = topdown[0]
    assert info["keypoints"].shape == (1, 11, 2) and info["bbox"].shape == (1, 4)
    assert info["flip_indices"] == [0, 1, 3, 2, 5, 4, 6, 8, 7, 10, 9]
    assert topdown.metainfo["sigmas"].shape == (11,)
    with pytest.raises(FileNotFoundError, match="missing.json"):
        DATASETS.build(dict(type="CocoDataset", **dict(common, ann_file="missing.json")))
    with pytest.raises(FileNotFoundError, match="no_info.py"):
        DATASETS.build(
            dict(type="CocoDataset", **dict(common, metainfo=dict(from_file="no_info.py")))
        )
