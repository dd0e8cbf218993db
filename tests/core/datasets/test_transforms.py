"""Transform properties: flips are involutions, resize factors are exact, crops keep boxes inside,
unknown keys pass through, misspelt arguments fail with a suggestion."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from visionbox.core.datasets.transforms import (
    Compose,
    ImageToTensor,
    LoadImageFromNDArray,
    PackInputs,
    Pad,
    PhotoMetricDistortion,
    RandomApply,
    RandomChoice,
    RandomChoiceResize,
    RandomCrop,
    RandomFlip,
    RandomResize,
    Resize,
)
from visionbox.core.datasets.transforms import (
    TestTimeAug as TTA,
)
from visionbox.core.datasets.transforms.flip import imflip
from visionbox.core.registry import TRANSFORMS
from visionbox.core.structures import BitmapMasks, PolygonMasks

H, W = 48, 64
FLIP_INDICES = [0, 2, 1, 4, 3]


def make_results(masks: str = "bitmap") -> dict:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    boxes = np.array([[2, 3, 20, 30], [30, 5, 60, 40], [10, 35, 25, 47]], np.float32)
    bitmaps = np.zeros((3, H, W), np.uint8)
    for i, (x1, y1, x2, y2) in enumerate(boxes.astype(int)):
        bitmaps[i, y1:y2, x1:x2] = 1
    polys = [[np.array([x1, y1, x2, y1, x2, y2, x1, y2], float)] for x1, y1, x2, y2 in boxes]
    kpts = rng.uniform(0, [W, H], size=(3, 5, 2)).astype(np.float32)
    return {
        "img": img,
        "img_shape": (H, W),
        "ori_shape": (H, W),
        "gt_bboxes": boxes,
        "gt_bboxes_labels": np.array([0, 1, 2]),
        "gt_masks": BitmapMasks(bitmaps, H, W) if masks == "bitmap" else PolygonMasks(polys, H, W),
        "gt_seg_map": rng.integers(0, 5, (H, W), dtype=np.uint8),
        "gt_keypoints": kpts,
        "gt_keypoints_visible": rng.integers(0, 3, (3, 5)),
        "flip_indices": FLIP_INDICES,
        "my_custom_key": {"untouched": [1, 2, 3]},
    }


def masks_array(results: dict) -> np.ndarray:
    return results["gt_masks"].to_ndarray()


@pytest.mark.parametrize("direction", ["horizontal", "vertical", "diagonal"])
@pytest.mark.parametrize("masks", ["bitmap", "polygon"])
def test_flip_twice_is_identity(direction, masks):
    before = make_results(masks)
    flip = RandomFlip(prob=1.0, direction=direction)
    once = flip(copy.deepcopy(before))
    assert once["flip"] is True and once["flip_direction"] == direction
    assert not np.array_equal(once["img"], before["img"])
    twice = flip(copy.deepcopy(once))
    np.testing.assert_array_equal(twice["img"], before["img"])
    np.testing.assert_allclose(twice["gt_bboxes"], before["gt_bboxes"])
    np.testing.assert_array_equal(masks_array(twice), masks_array(before))
    np.testing.assert_array_equal(twice["gt_seg_map"], before["gt_seg_map"])
    np.testing.assert_allclose(twice["gt_keypoints"], before["gt_keypoints"], atol=1e-5)
    np.testing.assert_array_equal(twice["gt_keypoints_visible"], before["gt_keypoints_visible"])


def test_horizontal_flip_geometry_and_flip_pairs():
    before = make_results()
    out = RandomFlip(prob=1.0)(copy.deepcopy(before))
    np.testing.assert_array_equal(out["img"], before["img"][:, ::-1])
    np.testing.assert_allclose(out["gt_bboxes"][0], [W - 20, 3, W - 2, 30])
    # keypoint j of the flipped image is the mirrored keypoint flip_indices[j] of the original
    for j, src in enumerate(FLIP_INDICES):
        np.testing.assert_allclose(
            out["gt_keypoints"][:, j, 0], W - before["gt_keypoints"][:, src, 0]
        )
        np.testing.assert_array_equal(
            out["gt_keypoints_visible"][:, j], before["gt_keypoints_visible"][:, src]
        )
    # flipped boxes still enclose their flipped masks
    np.testing.assert_allclose(out["gt_masks"].get_bboxes(), out["gt_bboxes"])


def test_flip_probability_lists_and_bad_values():
    np.random.seed(0)
    flip = RandomFlip(prob=[0.3, 0.5], direction=["horizontal", "vertical"])
    seen = [flip({"img": np.zeros((4, 4, 3), np.uint8)})["flip_direction"] for _ in range(400)]
    assert 0.2 < seen.count("horizontal") / 400 < 0.4
    assert 0.4 < seen.count("vertical") / 400 < 0.6
    assert 0.1 < seen.count(None) / 400 < 0.3
    with pytest.raises(ValueError, match="sum to <= 1"):
        RandomFlip(prob=[0.7, 0.5], direction=["horizontal", "vertical"])
    with pytest.raises(ValueError, match="direction"):
        RandomFlip(prob=0.5, direction="sideways")


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.float32, bool])
def test_imflip_any_dtype(dtype):
    arr = np.arange(2 * 3 * 5).reshape(2, 3, 5).astype(dtype)
    np.testing.assert_array_equal(imflip(arr, "horizontal"), arr[:, ::-1])
    np.testing.assert_array_equal(imflip(arr, "diagonal"), arr[::-1, ::-1])
    np.testing.assert_array_equal(imflip(arr[..., 0], "vertical"), arr[::-1, :, 0])


def test_swap_seg_labels():
    seg = np.array([[1, 2, 0]], np.uint8)
    out = RandomFlip(prob=1.0, swap_seg_labels=[(1, 2)])(
        {"img": np.zeros((1, 3, 3), np.uint8), "gt_seg_map": seg}
    )
    np.testing.assert_array_equal(out["gt_seg_map"], [[0, 1, 2]])


@pytest.mark.parametrize("keep_ratio", [True, False])
def test_resize_scales_boxes_exactly_by_recorded_factors(keep_ratio):
    before = make_results()
    out = Resize(scale=(100, 90), keep_ratio=keep_ratio)(copy.deepcopy(before))
    w_scale, h_scale = out["scale_factor"]
    new_h, new_w = out["img"].shape[:2]
    assert out["img_shape"] == (new_h, new_w)
    assert (w_scale, h_scale) == (new_w / W, new_h / H)
    if keep_ratio:
        assert new_w <= 100 and new_h <= 90 and abs(new_w / new_h - W / H) < 0.05
    else:
        assert (new_w, new_h) == (100, 90)
    expected = before["gt_bboxes"] * np.array([w_scale, h_scale, w_scale, h_scale], np.float32)
    np.testing.assert_array_equal(out["gt_bboxes"], expected)
    np.testing.assert_allclose(
        out["gt_keypoints"], before["gt_keypoints"] * np.array([w_scale, h_scale]), rtol=1e-6
    )
    assert out["gt_masks"].to_ndarray().shape == (3, new_h, new_w)
    assert out["gt_seg_map"].shape == (new_h, new_w)
    assert set(np.unique(out["gt_seg_map"])) <= set(np.unique(before["gt_seg_map"]))


def test_resize_keep_ratio_coco_scale_and_scale_factor():
    img = np.zeros((480, 640, 3), np.uint8)
    out = Resize(scale=(1333, 800), keep_ratio=True)({"img": img})
    assert out["img_shape"] == (800, 1067)
    out = Resize(scale_factor=0.5)({"img": img})
    assert out["img_shape"] == (240, 320) and out["scale_factor"] == (0.5, 0.5)
    with pytest.raises(ValueError, match="scale"):
        Resize()


def test_resize_clips_boxes_to_the_image():
    results = {"img": np.zeros((10, 10, 3), np.uint8), "gt_bboxes": np.array([[-5, 2, 15, 8.0]])}
    out = Resize(scale=(20, 20))(results)
    np.testing.assert_array_equal(out["gt_bboxes"], [[0, 4, 20, 16]])


def test_random_resize_and_choice_resize():
    np.random.seed(1)
    rr = RandomResize(scale=[(100, 50), (200, 80)], keep_ratio=False)
    for _ in range(10):
        out = rr({"img": np.zeros((20, 30, 3), np.uint8)})
        h, w = out["img_shape"]
        assert 100 <= w <= 200 and 50 <= h <= 80
    ratio = RandomResize(scale=(100, 100), ratio_range=(0.5, 1.0))
    h, w = ratio({"img": np.zeros((20, 30, 3), np.uint8)})["img_shape"]
    assert 50 <= h <= 100 and h == w
    choice = RandomChoiceResize(scales=[(40, 30), (80, 60)], keep_ratio=True)
    shapes = {choice({"img": np.zeros((30, 40, 3), np.uint8)})["img_shape"] for _ in range(20)}
    assert shapes == {(30, 40), (60, 80)}


def test_misspelt_resize_keyword_fails_with_suggestion():
    with pytest.raises(TypeError, match="Did you mean 'keep_ratio'"):
        TRANSFORMS.build(
            dict(type="RandomResize", scale=(1333, 800), ratio_range=(0.1, 2.0), keep_ratoi=True)
        )
    with pytest.raises(KeyError, match="RandomFlip"):
        TRANSFORMS.build(dict(type="RandomFlipp", prob=0.5))


def test_crop_keeps_only_boxes_inside():
    boxes = np.array(
        [[0, 0, 10, 10], [50, 30, 60, 40], [5, 5, 30, 30], [40, 0, 64, 10]], np.float32
    )
    results = {
        "img": np.zeros((H, W, 3), np.uint8),
        "gt_bboxes": boxes,
        "gt_bboxes_labels": np.arange(4),
        "gt_ignore_flags": np.zeros(4, bool),
        "gt_masks": BitmapMasks(np.ones((4, H, W), np.uint8), H, W),
        "gt_seg_map": np.zeros((H, W), np.uint8),
        "meta": "kept",
    }
    np.random.seed(0)
    for _ in range(20):
        out = RandomCrop(crop_size=(25, 20), allow_negative_crop=True)(copy.deepcopy(results))
        h, w = out["img_shape"]
        assert (h, w) == (20, 25) and out["img"].shape[:2] == (20, 25)
        b = out["gt_bboxes"]
        assert (b[:, 0] >= 0).all() and (b[:, 2] <= w).all() and (b[:, 1] >= 0).all()
        assert (b[:, 3] <= h).all() and ((b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1])).all()
        assert len(out["gt_bboxes_labels"]) == len(b) == len(out["gt_masks"])
        assert out["gt_masks"].to_ndarray().shape[1:] == (20, 25)
        assert out["meta"] == "kept"


def test_crop_without_boxes_returns_none_unless_allowed():
    results = {
        "img": np.zeros((100, 100, 3), np.uint8),
        "gt_bboxes": np.array([[0, 0, 2, 2]], np.float32),
    }
    np.random.seed(3)
    outcomes = [RandomCrop((10, 10))(copy.deepcopy(results)) for _ in range(10)]
    assert any(o is None for o in outcomes)
    assert all(
        RandomCrop((10, 10), allow_negative_crop=True)(copy.deepcopy(results)) is not None
        for _ in range(10)
    )


def test_pad_size_divisor_and_values():
    results = make_results()
    out = Pad(size_divisor=32, pad_val=dict(img=7, seg=255, masks=0))(results)
    assert out["img"].shape[:2] == (64, 64) and out["pad_shape"][:2] == (64, 64)
    assert (out["img"][H:] == 7).all() and (out["gt_seg_map"][H:] == 255).all()
    assert out["gt_masks"].to_ndarray().shape == (3, 64, 64)
    assert (out["gt_masks"].to_ndarray()[:, H:] == 0).all()
    out = Pad(size=(70, 50))({"img": np.zeros((H, W, 3), np.uint8)})
    assert out["img"].shape[:2] == (50, 70)
    with pytest.raises(ValueError, match="smaller than the image"):
        Pad(size=(10, 10))({"img": np.zeros((H, W, 3), np.uint8)})


def test_photometric_distortion_keeps_shape_and_changes_pixels():
    np.random.seed(0)
    img = np.random.randint(0, 255, (16, 16, 3)).astype(np.uint8)
    outs = [PhotoMetricDistortion()({"img": img.copy()})["img"] for _ in range(5)]
    assert all(o.shape == img.shape and o.dtype == np.float32 for o in outs)
    assert any(not np.allclose(o, img) for o in outs)


def test_wrappers():
    np.random.seed(0)
    flip = dict(type="RandomFlip", prob=1.0)
    assert Compose([flip, flip])(make_results())["flip"] is True
    never = RandomApply([flip], prob=0.0)(make_results())
    assert "flip" not in never
    choice = RandomChoice([[flip], [dict(type="Resize", scale=(10, 10))]], prob=[0.0, 1.0])
    assert choice(make_results())["img_shape"] == (10, 10)
    tta = TTA(
        [
            [dict(type="Resize", scale=(32, 32)), dict(type="Resize", scale=(16, 16))],
            [dict(type="RandomFlip", prob=0.0), dict(type="RandomFlip", prob=1.0)],
        ]
    )
    out = tta(make_results())
    assert [s for s in out["img_shape"]] == [(32, 32), (32, 32), (16, 16), (16, 16)]
    assert out["flip"] == [False, True, False, True]
    assert Compose([lambda r: None, flip])(make_results()) is None


ALL_TRANSFORMS = [
    Resize(scale=(40, 30), keep_ratio=True),
    RandomResize(scale=(40, 30), ratio_range=(0.8, 1.2)),
    RandomChoiceResize(scales=[(40, 30)]),
    RandomFlip(prob=1.0, direction="diagonal"),
    RandomCrop(crop_size=(40, 40), allow_negative_crop=True),
    Pad(size_divisor=16),
    PhotoMetricDistortion(),
    LoadImageFromNDArray(),
    RandomApply([dict(type="RandomFlip", prob=1.0)], prob=1.0),
    RandomChoice([[dict(type="RandomFlip", prob=1.0)]]),
    Compose([dict(type="Resize", scale=(40, 30))]),
    ImageToTensor(),
]


@pytest.mark.parametrize("transform", ALL_TRANSFORMS, ids=lambda t: type(t).__name__)
def test_every_transform_passes_unknown_keys_through(transform):
    results = make_results()
    sentinel = results["my_custom_key"]
    out = transform(results)
    assert out["my_custom_key"] is sentinel and sentinel == {"untouched": [1, 2, 3]}


def test_pack_inputs():
    results = make_results()
    results["gt_ignore_flags"] = np.array([False, True, False])
    results["img_path"] = "x.jpg"
    packed = PackInputs()(results)
    assert tuple(packed["inputs"].shape) == (3, H, W)
    sample = packed["data_samples"]
    assert tuple(sample.gt_instances.bboxes.shape) == (2, 4)
    assert tuple(sample.ignored_instances.bboxes.shape) == (1, 4)
    assert tuple(sample.gt_instances.keypoints.shape) == (2, 5, 2)
    assert tuple(sample.gt_sem_seg.data.shape) == (1, H, W)
    assert sample.metainfo["img_path"] == "x.jpg"
