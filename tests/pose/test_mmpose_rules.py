"""Rules where VisionBox pose must equal mmpose 1.3 exactly, checked against transcriptions of
mmpose's code: the quarter-pixel shift's edge conditions, DARK-UDP refinement (with the blur's
rescaling of maps whose blurred maximum is negative), SimCC scores, the warp matrices (their
dtype and construction), ``TopdownAffine``'s ``img_shape``, and the Human3.6M lifter built by
init_model."""

from __future__ import annotations

import math
from itertools import product
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from visionbox.pose.codecs.utils import (
    get_simcc_maximum,
    refine_keypoints,
    refine_keypoints_dark_udp,
)
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


def _mmpose_blur(heatmaps: np.ndarray, kernel: int) -> np.ndarray:
    """mmpose 1.3 ``gaussian_blur``, transcribed (one map at a time, rescaled by the ratio of
    maxima whatever its sign)."""
    heatmaps = heatmaps.copy()
    border = (kernel - 1) // 2
    for k in range(heatmaps.shape[0]):
        origin_max = np.max(heatmaps[k])
        dr = np.zeros((heatmaps.shape[1] + 2 * border, heatmaps.shape[2] + 2 * border), np.float32)
        dr[border:-border, border:-border] = heatmaps[k]
        dr = cv2.GaussianBlur(dr, (kernel, kernel), 0)
        heatmaps[k] = dr[border:-border, border:-border]
        heatmaps[k] *= origin_max / np.max(heatmaps[k])
    return heatmaps


def _mmpose_dark_udp(keypoints: np.ndarray, heatmaps: np.ndarray, kernel: int) -> np.ndarray:
    """mmpose 1.3 ``refine_keypoints_dark_udp``, transcribed as a loop over keypoints."""
    keypoints = keypoints.copy()
    logmaps = np.log(np.clip(_mmpose_blur(heatmaps, kernel), 1e-3, 50.0))
    k_num, h, w = logmaps.shape
    flat = np.pad(logmaps, ((0, 0), (1, 1), (1, 1)), mode="edge").flatten()
    for n, k in product(range(keypoints.shape[0]), range(k_num)):
        i = int(keypoints[n, k, 0] + 1 + (keypoints[n, k, 1] + 1) * (w + 2)) + k * (w + 2) * (h + 2)
        c, r, l_, d, u = flat[i], flat[i + 1], flat[i - 1], flat[i + w + 2], flat[i - w - 2]
        dxy = 0.5 * (flat[i + w + 3] - r - d + c + c - l_ - u + flat[i - w - 3])
        hessian = np.array([[r - 2 * c + l_, dxy], [dxy, d - 2 * c + u]])
        gradient = np.array([0.5 * (r - l_), 0.5 * (d - u)])
        keypoints[n, k] -= np.linalg.inv(hessian + np.finfo(np.float32).eps * np.eye(2)) @ gradient
    return keypoints


def test_dark_udp_refinement_equals_mmpose_including_flat_and_negative_maps():
    rng = np.random.default_rng(0)
    heatmaps = rng.normal(0, 1, (6, 16, 12)).astype(np.float32)
    heatmaps[1] = np.abs(heatmaps[1]) * 10  # peaked above the log clip
    heatmaps[2] = -1.0
    heatmaps[2, 7, 5:7] = 0.5, 0.2  # the blurred maximum is negative: mmpose flips the map
    heatmaps[3] = 0.0  # no maximum: -1; mmpose's 0 / 0 makes it NaN, VisionBox keeps it finite
    yy, xx = np.mgrid[:16, :12]
    heatmaps[4] = 20 * np.exp(-((xx - 11) ** 2 + (yy - 3.3) ** 2) / 8)  # maximum on the border
    flat = heatmaps.reshape(6, -1)
    keypoints = np.stack([flat.argmax(1) % 12, flat.argmax(1) // 12], -1)[None].astype(np.float32)
    keypoints[0, 3] = -1
    ours = refine_keypoints_dark_udp(keypoints.copy(), heatmaps, 5)
    with np.errstate(invalid="ignore"):
        theirs = _mmpose_dark_udp(keypoints, heatmaps, 5)
    others = [0, 1, 2, 4, 5]
    np.testing.assert_allclose(ours[:, others], theirs[:, others], rtol=1e-6, atol=1e-5)
    assert np.isnan(theirs[0, 3]).all() and np.isfinite(ours[0, 3]).all()
    assert np.abs(ours - keypoints)[0, 2].max() > 0.01  # the flipped map does move its keypoint


def test_simcc_score_is_the_smaller_maximum():
    simcc_x = np.array([[0.2, 0.9, 0.1], [0.0, -0.5, -0.1]], np.float32)
    simcc_y = np.array([[0.4, 0.3, 0.0], [-0.2, 0.7, 0.1]], np.float32)
    locs, vals = get_simcc_maximum(simcc_x, simcc_y)
    np.testing.assert_array_equal(vals, np.array([0.4, 0.0], np.float32))
    np.testing.assert_array_equal(locs, [[1, 0], [-1, -1]])


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
