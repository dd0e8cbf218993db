"""Codec round trips: encode then decode recovers the keypoints (within 0.5 px at native
resolution for the 2D codecs, exactly for the lifting codecs)."""

from __future__ import annotations

import numpy as np
import pytest

from visionbox.pose.registry import KEYPOINT_CODECS


def _keypoints(rng, n=2, k=9, size=(64, 48), margin=6):
    w, h = size
    xs = rng.uniform(margin, w - 1 - margin, (n, k))
    ys = rng.uniform(margin, h - 1 - margin, (n, k))
    return np.stack([xs, ys], -1).astype(np.float32)


@pytest.mark.parametrize(
    "cfg",
    [
        dict(
            type="MSRAHeatmap", input_size=(64, 48), heatmap_size=(64, 48), sigma=2.0, unbiased=True
        ),
        dict(type="UDPHeatmap", input_size=(64, 48), heatmap_size=(64, 48), sigma=2.0),
    ],
    ids=["msra-dark", "udp"],
)
def test_heatmap_codecs_round_trip_within_half_a_pixel(cfg):
    rng = np.random.default_rng(0)
    codec = KEYPOINT_CODECS.build(cfg)
    kpts = _keypoints(rng, n=1)
    encoded = codec.encode(kpts, np.ones(kpts.shape[:2]))
    assert encoded["heatmaps"].shape == (9, 48, 64)
    assert encoded["keypoint_weights"].shape == (1, 9)
    decoded, scores = codec.decode(encoded["heatmaps"])
    assert decoded.shape == (1, 9, 2) and scores.shape == (1, 9)
    if cfg["type"] == "UDPHeatmap":
        # mmpose decodes with input / (heatmap - 1): x comes back as x * input / (input - 1).
        kpts = kpts * np.array(cfg["input_size"]) / (np.array(cfg["input_size"]) - 1)
    assert np.abs(decoded - kpts).max() < 0.5


def test_udp_decoding_scales_as_mmpose():
    """A heatmap maximum at pixel (i, j) decodes to (i * w / (W - 1), j * h / (H - 1))."""
    codec = KEYPOINT_CODECS.build(
        dict(type="UDPHeatmap", input_size=(192, 256), heatmap_size=(48, 64), sigma=2.0)
    )
    heatmaps = np.zeros((1, 64, 48), np.float32)
    heatmaps[0, 40, 10] = 1.0  # a single peak: DARK-UDP's Newton step is zero there
    decoded, _ = codec.decode(heatmaps)
    np.testing.assert_allclose(decoded[0, 0], [10 * 192 / 47, 40 * 256 / 63], rtol=1e-5)


def test_dark_is_more_precise_than_the_quarter_pixel_shift():
    rng = np.random.default_rng(1)
    kpts = _keypoints(rng, n=1, k=30)
    errors = {}
    for unbiased in (False, True):
        codec = KEYPOINT_CODECS.build(
            dict(
                type="MSRAHeatmap",
                input_size=(64, 48),
                heatmap_size=(64, 48),
                sigma=2.0,
                unbiased=unbiased,
            )
        )
        decoded, _ = codec.decode(codec.encode(kpts)["heatmaps"])
        errors[unbiased] = np.abs(decoded - kpts).mean()
    assert errors[True] < 0.1 < errors[False]


def test_msra_heatmap_at_stride_4_and_invisible_and_outside_keypoints():
    codec = KEYPOINT_CODECS.build(
        dict(type="MSRAHeatmap", input_size=(192, 256), heatmap_size=(48, 64), sigma=2)
    )
    kpts = np.array([[[100.0, 120.0], [50.0, 60.0], [500.0, 20.0]]], np.float32)
    enc = codec.encode(kpts, np.array([[1, 0, 1]]))
    assert enc["keypoint_weights"].tolist() == [[1, 0, 0]]
    assert enc["heatmaps"][1].max() == 0 and enc["heatmaps"][2].max() == 0
    decoded, _ = codec.decode(enc["heatmaps"])
    assert np.abs(decoded[0, 0] - kpts[0, 0]).max() <= 4 * 0.5 + 1e-3


def test_simcc_round_trip_within_half_a_pixel():
    rng = np.random.default_rng(2)
    codec = KEYPOINT_CODECS.build(
        dict(type="SimCCLabel", input_size=(64, 48), sigma=3.0, simcc_split_ratio=2.0)
    )
    kpts = _keypoints(rng)
    enc = codec.encode(kpts, np.ones(kpts.shape[:2]))
    assert enc["keypoint_x_labels"].shape == (2, 9, 128)
    assert enc["keypoint_y_labels"].shape == (2, 9, 96)
    decoded, scores = codec.decode(enc["keypoint_x_labels"], enc["keypoint_y_labels"])
    assert np.abs(decoded - kpts).max() <= 0.25 + 1e-5
    assert (scores > 0).all()


def test_simcc_dark_refines_below_the_bin_size():
    rng = np.random.default_rng(3)
    kpts = _keypoints(rng, k=20)
    codec = KEYPOINT_CODECS.build(
        dict(type="SimCCLabel", input_size=(64, 48), sigma=3.0, use_dark=True)
    )
    enc = codec.encode(kpts)
    decoded, _ = codec.decode(enc["keypoint_x_labels"], enc["keypoint_y_labels"])
    assert np.abs(decoded - kpts).mean() < 0.1


@pytest.mark.parametrize("dims", [2, 4])
def test_regression_label_round_trip(dims):
    rng = np.random.default_rng(4)
    codec = KEYPOINT_CODECS.build(dict(type="RegressionLabel", input_size=(192, 256)))
    kpts = _keypoints(rng, size=(192, 256))
    enc = codec.encode(kpts)
    labels = enc["keypoint_labels"]
    assert labels.min() >= 0 and labels.max() <= 1
    if dims == 4:
        labels = np.concatenate([labels, np.full_like(labels, 0.2)], -1)
    decoded, scores = codec.decode(labels)
    assert np.abs(decoded - kpts).max() < 1e-3
    assert np.allclose(scores, 1.0 if dims == 2 else 0.8)


def test_regression_label_zeroes_weights_outside_the_input():
    codec = KEYPOINT_CODECS.build(dict(type="RegressionLabel", input_size=(10, 10)))
    enc = codec.encode(np.array([[[5, 5], [-1, 5], [5, 12]]], np.float32), np.ones((1, 3)))
    assert enc["keypoint_weights"].tolist() == [[1, 0, 0]]


def test_integral_regression_label_heatmaps_are_distributions():
    codec = KEYPOINT_CODECS.build(
        dict(type="IntegralRegressionLabel", input_size=(64, 48), heatmap_size=(16, 12), sigma=1.0)
    )
    kpts = _keypoints(np.random.default_rng(5))
    enc = codec.encode(kpts)
    assert np.allclose(enc["heatmaps"].reshape(9, -1).sum(1), 1.0, atol=1e-5)
    decoded, _ = codec.decode(enc["keypoint_labels"])
    assert np.abs(decoded - kpts).max() < 1e-3


@pytest.mark.parametrize("remove_root", [False, True])
def test_image_pose_lifting_recovers_the_3d_input_exactly(remove_root):
    rng = np.random.default_rng(6)
    target = rng.normal(size=(1, 11, 3)).astype(np.float32)
    kpts2d = rng.uniform(0, 255, (1, 11, 2)).astype(np.float32)
    mean, std = rng.normal(size=(11 - remove_root, 3)), rng.uniform(0.5, 2, (11 - remove_root, 3))
    codec = KEYPOINT_CODECS.build(
        dict(
            type="ImagePoseLifting",
            num_keypoints=11,
            root_index=6,
            remove_root=remove_root,
            target_mean=mean.tolist(),
            target_std=std.tolist(),
        )
    )
    enc = codec.encode(kpts2d, np.ones((1, 11)), lifting_target=target)
    assert enc["keypoint_labels"].shape == (22, 1)
    assert enc["lifting_target_label"].shape == (1, 11 - remove_root, 3)
    decoded, scores = codec.decode(enc["lifting_target_label"], target_root=enc["target_root"])
    np.testing.assert_allclose(decoded, target, rtol=0, atol=1e-5)
    assert scores.shape == (1, 11)


def test_video_pose_lifting_recovers_the_3d_input_and_normalises_by_the_image():
    rng = np.random.default_rng(7)
    target = rng.normal(size=(11, 3)).astype(np.float32)
    kpts2d = rng.uniform(0, 255, (27, 11, 2)).astype(np.float32)
    codec = KEYPOINT_CODECS.build(dict(type="VideoPoseLifting", num_keypoints=11, root_index=6))
    camera = dict(w=256, h=256)
    enc = codec.encode(kpts2d, np.ones((27, 11)), lifting_target=target, camera_param=camera)
    assert enc["keypoint_labels"].shape == (22, 27)
    labels = enc["keypoint_labels"].reshape(11, 2, 27).transpose(2, 0, 1)
    np.testing.assert_allclose(labels, kpts2d / 256 * 2 - 1, atol=1e-6)
    assert np.allclose(enc["lifting_target_label"][0, 6], 0)
    decoded, _ = codec.decode(enc["lifting_target_label"], target_root=enc["target_root"])
    np.testing.assert_allclose(decoded[0], target, rtol=0, atol=1e-6)


def test_unknown_codec_names_the_closest():
    with pytest.raises(KeyError, match="MSRAHeatmap"):
        KEYPOINT_CODECS.build(
            dict(type="MSRAHeatmaps", input_size=(1, 1), heatmap_size=(1, 1), sigma=1)
        )
