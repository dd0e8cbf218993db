"""BitmapMasks and PolygonMasks: geometric operations agree with each other."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from visionbox.core.structures import BitmapMasks, PolygonMasks

H, W = 20, 30
POLYS = [[np.array([2, 3, 12, 3, 12, 9, 2, 9], float)], [np.array([15, 1, 28, 1, 20, 18], float)]]


def polygons() -> PolygonMasks:
    return PolygonMasks(POLYS, H, W)


def test_polygon_rasterisation_matches_area_and_bboxes():
    bitmap = polygons().to_bitmap()
    assert bitmap.to_ndarray().shape == (2, H, W)
    np.testing.assert_allclose(polygons().areas, [60, 0.5 * 13 * 17])
    np.testing.assert_allclose(bitmap.areas, polygons().areas, rtol=0.15)
    np.testing.assert_allclose(bitmap.get_bboxes()[0], [2, 3, 12, 9], atol=1)
    np.testing.assert_allclose(polygons().get_bboxes()[1], [15, 1, 28, 18])


@pytest.mark.parametrize("direction", ["horizontal", "vertical", "diagonal"])
def test_flip_is_an_involution_and_consistent(direction):
    poly, bitmap = polygons(), polygons().to_bitmap()
    for masks in (poly, bitmap):
        np.testing.assert_array_equal(
            masks.flip(direction).flip(direction).to_ndarray(), masks.to_ndarray()
        )
    expected = bitmap.to_ndarray()
    if direction in ("horizontal", "diagonal"):
        expected = expected[:, :, ::-1]
    if direction in ("vertical", "diagonal"):
        expected = expected[:, ::-1]
    np.testing.assert_array_equal(bitmap.flip(direction).to_ndarray(), expected)
    with pytest.raises(ValueError, match="flip direction"):
        poly.flip("sideways")


def test_resize_rescale_crop_pad():
    poly, bitmap = polygons(), polygons().to_bitmap()
    assert poly.resize((40, 60)).get_bboxes()[0].tolist() == [4, 6, 24, 18]
    assert bitmap.resize((40, 60)).to_ndarray().shape == (2, 40, 60)
    assert bitmap.rescale(2.0).to_ndarray().shape == (2, 40, 60)
    assert poly.rescale((60, 60)).height == 40
    crop = poly.crop(np.array([5, 0, 25, 10]))
    assert (crop.height, crop.width) == (10, 20)
    np.testing.assert_allclose(crop.get_bboxes()[0], [0, 3, 7, 9])
    bcrop = bitmap.crop(np.array([5, 0, 25, 10]))
    np.testing.assert_array_equal(bcrop.to_ndarray(), bitmap.to_ndarray()[:, 0:10, 5:25])
    padded = bitmap.pad((25, 35), pad_val=0)
    assert padded.to_ndarray().shape == (2, 25, 35) and padded.areas.sum() == bitmap.areas.sum()
    assert poly.pad((25, 35)).to_ndarray().shape == (2, 25, 35)


def test_indexing_and_tensors():
    poly = polygons()
    assert len(poly[np.array([False, True])]) == 1 and len(poly[[0, 1]]) == 2
    bitmap = poly.to_bitmap()
    assert len(bitmap[np.array([1])]) == 1
    t = bitmap.to_tensor(torch.bool)
    assert t.dtype == torch.bool and t.shape == (2, H, W)
    assert BitmapMasks([], H, W).to_ndarray().shape == (0, H, W)
    with pytest.raises(ValueError, match="at least 6"):
        PolygonMasks([[np.array([1.0, 2.0])]], H, W)
    with pytest.raises(ValueError, match="expects"):
        BitmapMasks(np.zeros((1, 5, 5)), H, W)
