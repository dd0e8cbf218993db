"""Mosaic, MixUp and RandomAffine keep boxes on the pixels they move; YOLOXHSVRandomAug,
FilterAnnotations and MultiImageMixDataset."""

from __future__ import annotations

import numpy as np
import pytest
from mmengine.dataset import BaseDataset

from visionbox.detection.registry import DATASETS, TRANSFORMS

COLOURS = [(10, 200, 60), (200, 30, 90), (40, 70, 220), (250, 250, 20)]


def _image(box, colour, size=(64, 64), label: int | None = None) -> dict:
    """A black image with one filled rectangle; its box covers exactly those pixels."""
    h, w = size
    img = np.zeros((h, w, 3), dtype=np.uint8)
    x1, y1, x2, y2 = box
    img[y1:y2, x1:x2] = colour
    return dict(
        img=img,
        img_shape=(h, w),
        gt_bboxes=np.array([box], dtype=np.float32),
        gt_bboxes_labels=np.array(
            [COLOURS.index(colour) if label is None else label], dtype=np.int64
        ),
        gt_ignore_flags=np.array([False]),
    )


def _pixel_box(img: np.ndarray, colour, tol: int = 0) -> np.ndarray | None:
    """[x1, y1, x2, y2] enclosing the pixels of ``colour`` (None when there are none)."""
    match = (np.abs(img.astype(int) - np.array(colour)) <= tol).all(-1)
    ys, xs = np.nonzero(match)
    if len(xs) == 0:
        return None
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float32)


def _check_boxes(results: dict, colours, tol_px: float = 0.0, tol_colour: int = 0) -> int:
    """Every labelled box equals the pixel box of its colour; returns the boxes checked."""
    found = 0
    for label, colour in enumerate(colours):
        pixels = _pixel_box(results["img"], colour, tol_colour)
        rows = np.nonzero(results["gt_bboxes_labels"] == label)[0]
        if pixels is None:
            assert len(rows) == 0, (label, results["gt_bboxes"][rows])
            continue
        assert len(rows) == 1, label
        np.testing.assert_allclose(results["gt_bboxes"][rows[0]], pixels, atol=tol_px)
        found += 1
    return found


@pytest.mark.parametrize("seed", range(6))
def test_mosaic_boxes_follow_their_pixels(seed):
    np.random.seed(seed)
    boxes = [(5, 7, 30, 40), (20, 2, 60, 20), (0, 30, 25, 64), (33, 33, 50, 61)]
    parts = [_image(b, c) for b, c in zip(boxes, COLOURS)]
    results = dict(parts[0], mix_results=parts[1:])
    mosaic = TRANSFORMS.build(dict(type="Mosaic", img_scale=(64, 64), pad_val=114.0))
    out = mosaic(results)
    assert out["img"].shape == (128, 128, 3) and out["img_shape"] == (128, 128)
    assert _check_boxes(out, COLOURS) >= 1
    assert len(out["gt_bboxes"]) == len(out["gt_bboxes_labels"]) == len(out["gt_ignore_flags"])


def test_mosaic_resizes_images_to_the_scale():
    np.random.seed(0)
    parts = [_image((8, 8, 56, 40), COLOURS[i], size=(64, 128)) for i in range(4)]
    out = TRANSFORMS.build(dict(type="Mosaic", img_scale=(64, 64), center_ratio_range=(1, 1)))(
        dict(parts[0], mix_results=parts[1:])
    )
    # Each 64x128 image fits 64x64 at half size, around the centre (64, 64).
    assert _check_boxes(out, COLOURS, tol_px=1.0, tol_colour=40) == 4
    np.testing.assert_allclose(out["gt_bboxes"][0], [4, 36, 28, 52])


def test_mosaic_needs_mix_results():
    with pytest.raises(KeyError, match="MultiImageMixDataset"):
        TRANSFORMS.build(dict(type="Mosaic"))(_image((1, 1, 5, 5), COLOURS[0]))


@pytest.mark.parametrize("seed", range(6))
def test_mixup_boxes_follow_their_pixels(seed):
    """The target is black, so the blend halves the other image's colours; the other image is
    larger than the target, so it is cropped at a random offset (and maybe flipped)."""
    np.random.seed(seed)
    target = _image((2, 3, 20, 30), (0, 0, 0), label=3)
    other = _image((30, 40, 80, 90), (200, 100, 60), size=(96, 96), label=0)
    mixup = TRANSFORMS.build(
        dict(type="MixUp", img_scale=(96, 96), ratio_range=(1.0, 1.0), pad_val=114.0)
    )
    out = mixup(dict(target, mix_results=[other]))
    assert out["img"].shape == (64, 64, 3)
    assert 3 in out["gt_bboxes_labels"]  # the target's own box stays
    assert _check_boxes(out, [(100, 50, 30)], tol_colour=1) == 1


def test_mixup_flips_the_other_image():
    seen_flips = set()
    for seed in range(12):
        np.random.seed(seed)
        other = _image((10, 10, 30, 50), (200, 100, 60), size=(64, 64), label=0)
        out = TRANSFORMS.build(dict(type="MixUp", img_scale=(64, 64), ratio_range=(1, 1)))(
            dict(_image((0, 0, 1, 1), (0, 0, 0), label=1), mix_results=[other])
        )
        pixels = _pixel_box(out["img"], (100, 50, 30), tol=1)
        rows = out["gt_bboxes_labels"] == 0
        rows &= out["gt_bboxes"][:, 2] - out["gt_bboxes"][:, 0] > 2
        np.testing.assert_allclose(out["gt_bboxes"][rows][-1], pixels)
        seen_flips.add(float(pixels[0]))
    assert seen_flips == {10.0, 34.0}


@pytest.mark.parametrize("seed", range(4))
def test_random_affine_translation_and_scale_keep_boxes_on_pixels(seed):
    np.random.seed(seed)
    affine = TRANSFORMS.build(
        dict(
            type="RandomAffine",
            max_rotate_degree=0.0,
            max_shear_degree=0.0,
            scaling_ratio_range=(0.8, 1.2),
            max_translate_ratio=0.2,
        )
    )
    out = affine(_image((10, 12, 40, 50), COLOURS[0]))
    assert out["img"].shape == (64, 64, 3)
    # Bilinear warping blurs the border pixels: boxes agree within a pixel.
    assert _check_boxes(out, COLOURS[:1], tol_px=1.01, tol_colour=60) == 1


@pytest.mark.parametrize("seed", range(4))
def test_random_affine_rotation_encloses_the_pixels(seed):
    np.random.seed(seed)
    affine = TRANSFORMS.build(
        dict(type="RandomAffine", max_rotate_degree=30.0, border=(16, 8), border_val=(0, 0, 0))
    )
    out = affine(_image((16, 16, 40, 44), COLOURS[1]))
    assert out["img"].shape == (64 + 16, 64 + 32, 3)
    pixels = _pixel_box(out["img"], COLOURS[1], tol=10)
    box = out["gt_bboxes"][0]
    assert (box[:2] <= pixels[:2] + 1).all() and (box[2:] >= pixels[2:] - 1).all()


def test_random_affine_drops_boxes_moved_outside():
    affine = TRANSFORMS.build(
        dict(
            type="RandomAffine",
            max_rotate_degree=0.0,
            max_shear_degree=0.0,
            scaling_ratio_range=(1, 1),
            max_translate_ratio=0.0,
            border=(-16, -16),
        )
    )
    results = _image((40, 40, 60, 60), COLOURS[0])  # the 32x32 output keeps [0, 32)
    out = affine(results)
    assert out["img"].shape == (32, 32, 3) and len(out["gt_bboxes"]) == 0
    assert len(out["gt_bboxes_labels"]) == len(out["gt_ignore_flags"]) == 0


def test_hsv_aug_changes_colours_only():
    np.random.seed(1)
    results = _image((10, 10, 40, 40), COLOURS[0])
    box = results["gt_bboxes"].copy()
    changed = False
    aug = TRANSFORMS.build(dict(type="YOLOXHSVRandomAug"))
    for _ in range(5):
        out = aug(dict(results, img=results["img"].copy()))
        assert out["img"].shape == results["img"].shape and out["img"].dtype == np.uint8
        changed |= not np.array_equal(out["img"], results["img"])
    assert changed and np.array_equal(out["gt_bboxes"], box)


def test_filter_annotations():
    results = dict(
        gt_bboxes=np.array([[0, 0, 10, 10], [0, 0, 1, 5], [5, 5, 6.5, 7]], dtype=np.float32),
        gt_bboxes_labels=np.array([0, 1, 2]),
        gt_ignore_flags=np.array([False, False, True]),
    )
    flt = TRANSFORMS.build(dict(type="FilterAnnotations", min_gt_bbox_wh=(1, 1)))
    out = flt(dict(results))
    assert out["gt_bboxes_labels"].tolist() == [0, 2] and out["gt_ignore_flags"].tolist() == [
        False,
        True,
    ]
    tiny = dict(
        gt_bboxes=np.zeros((1, 4), np.float32) + [0, 0, 1, 1], gt_bboxes_labels=np.array([0])
    )
    assert flt(dict(tiny)) is None
    kept = TRANSFORMS.build(dict(type="FilterAnnotations", keep_empty=False))(dict(tiny))
    assert len(kept["gt_bboxes"]) == 0


class _InMemory(BaseDataset):
    """Four 64x64 images, one coloured rectangle each."""

    def __init__(self):
        super().__init__(ann_file="", serialize_data=False, pipeline=[])

    def load_data_list(self):
        boxes = [(5, 7, 30, 40), (20, 2, 60, 20), (0, 30, 25, 64), (33, 33, 50, 61)]
        return [_image(b, c) for b, c in zip(boxes, COLOURS)]


def test_multi_image_mix_dataset_feeds_mosaic_and_skips_on_request():
    np.random.seed(0)
    dataset = DATASETS.build(
        dict(
            type="MultiImageMixDataset",
            dataset=_InMemory(),
            pipeline=[
                dict(type="Mosaic", img_scale=(64, 64)),
                dict(type="MixUp", img_scale=(64, 64), ratio_range=(1, 1)),
            ],
        )
    )
    assert len(dataset) == 4
    out = dataset[0]
    assert out["img"].shape == (128, 128, 3) and "mix_results" not in out
    dataset.update_skip_type_keys(["Mosaic", "MixUp"])
    plain = dataset[1]
    assert plain["img"].shape == (64, 64, 3)
    np.testing.assert_array_equal(plain["gt_bboxes"], [[20, 2, 60, 20]])
    with pytest.raises(TypeError, match="pipeline"):
        DATASETS.build(dict(type="MultiImageMixDataset", dataset=_InMemory(), pipeline=["x"]))
