"""Mosaic, MixUp and RandomAffine move bitmap and polygon masks with the pixels: every mask
covers exactly the pixels of its uniquely coloured rectangle (the box tests of
``test_mix_transforms.py``, extended to masks)."""

from __future__ import annotations

import numpy as np
import pytest

from visionbox.core.structures import BitmapMasks, PolygonMasks
from visionbox.detection.registry import TRANSFORMS

from .test_mix_transforms import COLOURS, _check_boxes, _image


def _with_masks(results: dict, kind: str) -> dict:
    h, w = results["img"].shape[:2]
    boxes = results["gt_bboxes"]
    if kind == "bitmap":
        masks = np.zeros((len(boxes), h, w), np.uint8)
        for i, (x1, y1, x2, y2) in enumerate(boxes.astype(int)):
            masks[i, y1:y2, x1:x2] = 1
        results["gt_masks"] = BitmapMasks(masks, h, w)
    else:
        polys = [[np.array([x1, y1, x2, y1, x2, y2, x1, y2], float)] for x1, y1, x2, y2 in boxes]
        results["gt_masks"] = PolygonMasks(polys, h, w)
    return results


def _colour_pixels(img: np.ndarray, colour, tol: int = 0) -> np.ndarray:
    return (np.abs(img.astype(int) - np.array(colour)) <= tol).all(-1)


def _check_masks(out: dict, colours, tol_colour: int = 0, min_iou: float = 1.0) -> int:
    """Each instance's mask matches the pixels of its colour; returns the masks checked."""
    masks = out["gt_masks"]
    assert len(masks) == len(out["gt_bboxes"]) == len(out["gt_bboxes_labels"])
    assert (masks.height, masks.width) == out["img"].shape[:2]
    dense = masks.to_ndarray().astype(bool)
    checked = 0
    for label, colour in enumerate(colours):
        rows = np.nonzero(out["gt_bboxes_labels"] == label)[0]
        pixels = _colour_pixels(out["img"], colour, tol_colour)
        if len(rows) == 0:
            continue
        mask = dense[rows[0]]
        if isinstance(masks, PolygonMasks):  # continuous polygons: compare their boxes
            ys, xs = np.nonzero(pixels)
            box = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
            np.testing.assert_allclose(masks[int(rows[0])].get_bboxes()[0], box, atol=1.01)
        iou = (mask & pixels).sum() / max((mask | pixels).sum(), 1)
        assert iou >= min_iou, (label, iou)
        checked += 1
    return checked


@pytest.mark.parametrize("kind", ["bitmap", "polygon"])
@pytest.mark.parametrize("seed", range(4))
def test_mosaic_masks_follow_their_pixels(seed, kind):
    np.random.seed(seed)
    boxes = [(5, 7, 30, 40), (20, 2, 60, 20), (0, 30, 25, 64), (33, 33, 50, 61)]
    parts = [_with_masks(_image(b, c), kind) for b, c in zip(boxes, COLOURS)]
    out = TRANSFORMS.build(dict(type="Mosaic", img_scale=(64, 64)))(
        dict(parts[0], mix_results=parts[1:])
    )
    assert type(out["gt_masks"]) is type(parts[0]["gt_masks"])
    assert _check_boxes(out, COLOURS) >= 1
    # Bitmaps are cut exactly like the pixels; polygons are rasterised by pycocotools.
    assert _check_masks(out, COLOURS, min_iou=1.0 if kind == "bitmap" else 0.85) >= 1


def test_mosaic_resizes_masks_with_the_image():
    np.random.seed(0)
    parts = [
        _with_masks(_image((8, 8, 56, 40), COLOURS[i], size=(64, 128)), "bitmap") for i in range(4)
    ]
    out = TRANSFORMS.build(dict(type="Mosaic", img_scale=(64, 64), center_ratio_range=(1, 1)))(
        dict(parts[0], mix_results=parts[1:])
    )
    assert _check_masks(out, COLOURS, tol_colour=40, min_iou=0.9) == 4


@pytest.mark.parametrize("kind", ["bitmap", "polygon"])
@pytest.mark.parametrize("seed", range(6))
def test_mixup_masks_follow_their_pixels(seed, kind):
    np.random.seed(seed)
    target = _with_masks(_image((2, 3, 20, 30), (0, 0, 0), label=3), kind)
    other = _with_masks(_image((30, 40, 80, 90), (200, 100, 60), size=(96, 96), label=0), kind)
    out = TRANSFORMS.build(dict(type="MixUp", img_scale=(96, 96), ratio_range=(1.0, 1.0)))(
        dict(target, mix_results=[other])
    )
    assert _check_masks(
        out, [(100, 50, 30)], tol_colour=1, min_iou=1.0 if kind == "bitmap" else 0.9
    )
    own = out["gt_masks"].to_ndarray()[list(out["gt_bboxes_labels"]).index(3)]
    assert own[3:30, 2:20].all() and own.sum() == 27 * 18  # the target's mask is unchanged


@pytest.mark.parametrize("kind", ["bitmap", "polygon"])
@pytest.mark.parametrize("seed", range(4))
def test_random_affine_warps_masks_with_the_image(seed, kind):
    np.random.seed(seed)
    affine = TRANSFORMS.build(
        dict(type="RandomAffine", max_rotate_degree=25.0, border=(8, 8), border_val=(0, 0, 0))
    )
    out = affine(_with_masks(_image((16, 16, 44, 48), COLOURS[1]), kind))
    out["gt_bboxes_labels"] = np.zeros(len(out["gt_bboxes"]), np.int64)
    # Bilinear image warp against a nearest-neighbour (or rasterised) mask: edges differ.
    assert _check_masks(out, [COLOURS[1]], tol_colour=60, min_iou=0.85) == 1


@pytest.mark.parametrize("kind", ["bitmap", "polygon"])
def test_random_affine_drops_masks_with_their_boxes(kind):
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
    out = affine(_with_masks(_image((40, 40, 60, 60), COLOURS[0]), kind))
    assert len(out["gt_bboxes"]) == len(out["gt_masks"]) == 0
    assert (out["gt_masks"].height, out["gt_masks"].width) == (32, 32)


def test_mosaic_refuses_images_without_masks_among_masked_ones():
    parts = [_image((1, 1, 9, 9), c) for c in COLOURS]
    _with_masks(parts[0], "bitmap")
    with pytest.raises(KeyError, match="gt_masks"):
        TRANSFORMS.build(dict(type="Mosaic", img_scale=(64, 64)))(
            dict(parts[0], mix_results=parts[1:])
        )
