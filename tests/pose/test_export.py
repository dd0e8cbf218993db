"""End-to-end export of pose models: keypoints and scores of the exported ONNX and
``torch.export`` files equal the eager wrapper's, which equal the heads' ``predict`` (the NumPy
codecs), for heatmap, SimCC and regression heads and the lifter, on batches of two and three."""

from __future__ import annotations

import os.path as osp

import numpy as np
import pytest
import torch

from visionbox.core.config import Config
from visionbox.core.deploy import end2end
from visionbox.core.testing import tiny_backbone_cfg
from visionbox.core.testing.export import FORMATS, export_and_verify
from visionbox.pose.deploy import PoseLifterEnd2End, TopdownEnd2End, decode_keypoints
from visionbox.pose.registry import KEYPOINT_CODECS, MODELS
from visionbox.pose.structures import PoseDataSample

CONFIGS = osp.join(osp.dirname(__file__), "..", "..", "packages/pose/src/visionbox/pose/configs")
COCO = "body_2d_keypoint/{}/coco/{}_coco-256x192.py"
SIZE = (64, 48)  # (h, w) of the crops
FAMILIES = {
    "heatmap": COCO.format("topdown_heatmap", "td-hm_res50_8xb64-210e"),
    "simcc": COCO.format("simcc", "simcc_res50_8xb64-210e"),
    "regression": COCO.format("topdown_regression", "td-reg_res50_rle-8xb64-210e"),
    "rtmpose": COCO.format("rtmpose", "rtmpose-t_8xb256-420e"),
}
K = 5


def _topdown(family: str) -> torch.nn.Module:
    """The shipped COCO model of ``family`` with a tiny ResNet (RTMPose: a narrow CSPNeXt) on
    64 x 48 crops."""
    model = Config.fromfile(osp.join(CONFIGS, FAMILIES[family])).model
    if family == "rtmpose":
        model.backbone.update(widen_factor=0.0625, norm_cfg=dict(type="BN"), init_cfg=None)
    else:
        model.backbone = tiny_backbone_cfg(out_indices=(3,))
    head, codec = model.head, dict(model.head.decoder)
    head.update(in_channels=64, out_channels=17)
    codec["input_size"] = (SIZE[1], SIZE[0])
    if family == "heatmap":
        codec["heatmap_size"] = (SIZE[1] // 4, SIZE[0] // 4)
        head.update(deconv_out_channels=(16, 16, 16))
    elif family in ("simcc", "rtmpose"):
        head.update(input_size=codec["input_size"], in_featuremap_size=(2, 2))
        head.pop("deconv_out_channels", None)
        if family == "rtmpose":
            head.update(gau_cfg=dict(hidden_dims=32, s=16, act_fn="SiLU"))
    else:
        head.update(num_joints=17)
        head.pop("out_channels")
    head.decoder = codec
    torch.manual_seed(0)
    return MODELS.build(model).eval()


def _lifter() -> torch.nn.Module:
    codec = dict(type="VideoPoseLifting", num_keypoints=K, root_index=0)
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type="PoseLifter",
            backbone=dict(
                type="TCN",
                in_channels=2 * K,
                stem_channels=16,
                num_blocks=1,
                kernel_sizes=(3, 3),
                use_stride_conv=True,
            ),
            head=dict(
                type="TemporalRegressionHead",
                in_channels=16,
                num_joints=K,
                loss=dict(type="MPJPELoss"),
                decoder=codec,
            ),
        )
    ).eval()


def _inputs(family: str, batch: int) -> torch.Tensor:
    if family == "lifter":
        return torch.randn(batch, 2 * K, 9)
    return torch.randn(batch, 3, *SIZE)


def _model(family: str) -> torch.nn.Module:
    return _lifter() if family == "lifter" else _topdown(family)


@pytest.mark.parametrize("family", [*FAMILIES, "lifter"])
def test_end2end_wrapper_equals_head_predict(family):
    model = _model(family)
    wrapper = end2end(model)
    assert isinstance(wrapper, PoseLifterEnd2End if family == "lifter" else TopdownEnd2End)
    inputs = _inputs(family, 2)
    meta = dict(input_size=(SIZE[1], SIZE[0]))
    samples = [PoseDataSample(metainfo=meta) for _ in range(2)]
    with torch.no_grad():
        keypoints, scores = wrapper(inputs)
        preds = model.head.predict(model.extract_feat(inputs), samples, test_cfg={})
    dims = 3 if family == "lifter" else 2
    assert keypoints.shape == (2, K if family == "lifter" else 17, dims)
    for i, pred in enumerate(preds):
        np.testing.assert_allclose(keypoints[i].numpy(), np.asarray(pred.keypoints)[0], atol=1e-3)
        np.testing.assert_allclose(scores[i].numpy(), np.asarray(pred.keypoint_scores)[0], 1e-5)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("family", [*FAMILIES, "lifter"])
def test_exported_pose_model_equals_eager(family, fmt, tmp_path):
    wrapper = end2end(_model(family))
    export_and_verify(wrapper, _inputs(family, 2), fmt, tmp_path, also=(_inputs(family, 3),))


# DARK and UDP refine the maximum with a Newton step on the log of the blurred heatmap, which is
# ill-conditioned on a random network's flat heatmaps; they are checked on real Gaussians.
CODECS = {
    "msra": dict(type="MSRAHeatmap", input_size=(48, 64), heatmap_size=(12, 16), sigma=1.5),
    "dark": dict(
        type="MSRAHeatmap",
        input_size=(48, 64),
        heatmap_size=(12, 16),
        sigma=1.5,
        unbiased=True,
        blur_kernel_size=7,  # OpenCV's fixed 7-tap kernel
    ),
    "udp": dict(type="UDPHeatmap", input_size=(48, 64), heatmap_size=(12, 16), sigma=2.0),
}


class _Decode(torch.nn.Module):
    output_names = ("keypoints", "keypoint_scores")

    def __init__(self, codec):
        super().__init__()
        self.codec = codec

    def forward(self, heatmaps):
        return decode_keypoints(self.codec, heatmaps)


def _gaussians(codec, batch: int) -> torch.Tensor:
    rng = np.random.default_rng(0)
    maps = []
    for _ in range(batch):
        keypoints = rng.uniform([4, 4], [44, 60], (1, K, 2)).astype(np.float32)
        maps.append(codec.encode(keypoints)["heatmaps"])
    noise = rng.normal(0, 1e-3, (batch, K, 16, 12)).astype(np.float32)
    return torch.from_numpy(np.stack(maps) + noise)


@pytest.mark.parametrize("name", list(CODECS))
def test_exported_heatmap_decoding_equals_the_codec(name, tmp_path):
    codec = KEYPOINT_CODECS.build(CODECS[name])
    heatmaps = _gaussians(codec, 2)
    keypoints, scores = _Decode(codec)(heatmaps)
    for i in range(2):
        want, want_scores = codec.decode(heatmaps[i].numpy())
        np.testing.assert_allclose(keypoints[i].numpy(), want[0], atol=1e-3)
        np.testing.assert_allclose(scores[i].numpy(), want_scores[0], atol=1e-6)
    for fmt in FORMATS:
        export_and_verify(_Decode(codec), heatmaps, fmt, tmp_path, also=(_gaussians(codec, 3),))
