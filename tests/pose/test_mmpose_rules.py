"""Rules where VisionBox pose must equal mmpose 1.3 exactly, checked against transcriptions of
mmpose's code: the quarter-pixel shift's edge conditions, the warp matrices (their dtype and
construction), ``TopdownAffine``'s ``img_shape``, and the Human3.6M lifter built by init_model."""

from __future__ import annotations

import math
from itertools import product
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from visionbox.pose.codecs.utils import refine_keypoints
from visionbox.pose.registry import KEYPOINT_CODECS, TRANSFORMS
from visionbox.pose.structures import get_udp_warp_matrix, get_warp_matrix

H, W = 8, 6


def _mmpose_refine(keypoints: np.ndarray, heatmaps: np.ndarray) -> np.ndarray:
    """mmpose 1.3 ``codecs/utils/refinement.py`` ``refine_keypoints``, transcribed."""
    keypoints = keypoints.copy()
    n_inst, k_num = keypoints.shape[:2]
    h, w = heatmaps.shape[1:]
    for n, k in product(range(n_inst), range(k_num)):
        x, y = keypoints[n, k, :2].astype(int)
        dx = heatmaps[k, y, x + 1] - heatmaps[k, y, x - 1] if 1 < x < w - 1 and 0 < y < h else 0.0
        dy = heatmaps[k, y + 1, x] - heatmaps[k, y - 1, x] if 1 < y < h - 1 and 0 < x < w else 0.0
        keypoints[n, k] += np.sign([dx, dy], dtype=np.float32) * 0.25
    return keypoints


def _edge_heatmaps() -> tuple[np.ndarray, np.ndarray]:
    """One heatmap per pixel on the two outer rows / columns on every side, peak at that pixel,
    its right and lower neighbours higher than its left and upper ones."""
    peaks = [
        (x, y)
        for y, x in product(range(H), range(W))
        if x in (0, 1, W - 2, W - 1) or y in (0, 1, H - 2, H - 1)
    ]
    maps = np.zeros((len(peaks), H, W), np.float32)
    for k, (x, y) in enumerate(peaks):
        maps[k] = 0.01
        for dx, dy, value in ((1, 0, 0.6), (-1, 0, 0.3), (0, 1, 0.5), (0, -1, 0.2)):
            if 0 <= x + dx < W and 0 <= y + dy < H:
                maps[k, y + dy, x + dx] = value
        maps[k, y, x] = 1.0
    return maps, np.array(peaks, np.float32)[None]


def test_quarter_pixel_shift_follows_mmpose_on_every_edge_row_and_column():
    heatmaps, peaks = _edge_heatmaps()
    expected = _mmpose_refine(peaks, heatmaps)
    np.testing.assert_array_equal(refine_keypoints(peaks, heatmaps), expected)
    # The rule matters at the borders: x moves only where 1 < x < W - 1 and 0 < y, y only
    # where 1 < y < H - 1 and 0 < x.
    x, y = peaks[0, :, 0], peaks[0, :, 1]
    np.testing.assert_array_equal(expected[0, :, 0] != x, (x > 1) & (x < W - 1) & (y > 0))
    np.testing.assert_array_equal(expected[0, :, 1] != y, (y > 1) & (y < H - 1) & (x > 0))
    # The same through the codec (heatmap space = input space).
    codec = KEYPOINT_CODECS.build(
        dict(type="MSRAHeatmap", input_size=(W, H), heatmap_size=(W, H), sigma=2.0)
    )
    decoded = np.stack([codec.decode(m[None])[0][0, 0] for m in heatmaps])
    np.testing.assert_array_equal(decoded, expected[0])


def _mmpose_warp(center, scale, rot, output_size, inv=False):
    """mmpose 1.3 ``get_warp_matrix`` (fix_aspect_ratio=True, no shift), transcribed."""
    rad = np.deg2rad(rot)
    sn, cs = np.sin(rad), np.cos(rad)
    src_dir = np.array([[cs, -sn], [sn, cs]]) @ np.array([scale[0] * -0.5, 0.0])
    dst_w, dst_h = output_size
    src = np.zeros((3, 2), np.float32)
    dst = np.zeros((3, 2), np.float32)
    src[0], src[1] = center, center + src_dir
    dst[0] = [dst_w * 0.5, dst_h * 0.5]
    dst[1] = np.array([dst_w * 0.5, dst_h * 0.5]) + np.array([dst_w * -0.5, 0.0])
    for pts in (src, dst):
        d = pts[0] - pts[1]
        pts[2] = pts[1] + np.r_[-d[1], d[0]]
    return cv2.getAffineTransform(dst, src) if inv else cv2.getAffineTransform(src, dst)


def _mmpose_udp(center, scale, rot, output_size):
    """mmpose 1.3 ``get_udp_warp_matrix``, transcribed."""
    size = center * 2
    rad = np.deg2rad(rot)
    sx, sy = (output_size[0] - 1) / scale[0], (output_size[1] - 1) / scale[1]
    mat = np.zeros((2, 3), np.float32)
    mat[0, 0], mat[0, 1] = math.cos(rad) * sx, -math.sin(rad) * sx
    mat[0, 2] = sx * (
        -0.5 * size[0] * math.cos(rad) + 0.5 * size[1] * math.sin(rad) + 0.5 * scale[0]
    )
    mat[1, 0], mat[1, 1] = math.sin(rad) * sy, math.cos(rad) * sy
    mat[1, 2] = sy * (
        -0.5 * size[0] * math.sin(rad) - 0.5 * size[1] * math.cos(rad) + 0.5 * scale[1]
    )
    return mat


@pytest.mark.parametrize("rot", [0.0, 17.5, -40.0])
def test_warp_matrices_have_mmpose_dtype_and_values(rot):
    center = np.array([61.3, 47.9], np.float32)
    scale = np.array([83.7, 111.6], np.float32)
    for inv in (False, True):
        mat = get_warp_matrix(center, scale, rot, (192, 256), inv=inv)
        assert mat.dtype == np.float64 and mat.shape == (2, 3)
        np.testing.assert_array_equal(mat, _mmpose_warp(center, scale, rot, (192, 256), inv))
    udp = get_udp_warp_matrix(center, scale, rot, (192, 256))
    assert udp.dtype == np.float32  # mmpose fills a float32 matrix for UDP
    np.testing.assert_array_equal(udp, _mmpose_udp(center, scale, rot, (192, 256)))


def test_warped_pixels_equal_the_float64_warp():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (120, 100, 3), dtype=np.uint8)
    results = dict(
        img=img,
        img_shape=img.shape[:2],
        bbox_center=np.array([[48.3, 61.7]], np.float32),
        bbox_scale=np.array([[70.1, 90.4]], np.float32),
        bbox_rotation=np.array([12.0], np.float32),
        keypoints=rng.uniform(20, 80, (1, 5, 2)).astype(np.float32),
    )
    out = TRANSFORMS.build(dict(type="TopdownAffine", input_size=(48, 64)))(dict(results))
    scale = out["bbox_scale"][0]
    mat = _mmpose_warp(results["bbox_center"][0], scale, 12.0, (48, 64))
    np.testing.assert_array_equal(out["img"], cv2.warpAffine(img, mat, (48, 64)))
    np.testing.assert_array_equal(
        out["transformed_keypoints"], cv2.transform(results["keypoints"], mat)
    )
    assert out["img_shape"] == (120, 100)  # the source image's, as in mmpose
    assert out["input_size"] == (48, 64)


def test_init_model_builds_the_shipped_human36m_lifter():
    from visionbox.pose.apis import init_model

    init_default_scope("pose")
    config = (
        Path(__import__("visionbox.pose", fromlist=["x"]).__file__).parent
        / "configs/body_3d_keypoint/video_pose_lift/h36m"
        / "video-pose-lift_tcn-243frm-supv_8xb128-160e_h36m.py"
    )
    model = init_model(str(config))
    assert model.dataset_meta["dataset_name"] == "h36m"
    assert model.dataset_meta["num_keypoints"] == 17 and len(model.dataset_meta["sigmas"]) == 0
    with torch.no_grad():
        out = model(torch.zeros(1, 34, 243), None, mode="tensor")
    assert out.shape[-2:] == (17, 3) or out.numel() == 17 * 3
