"""Every pose head runs forward and backward on a tiny input and every parameter gets a
gradient; losses on empty or invisible targets; flip test; predict decodes with the codec."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData

from visionbox.core.testing import assert_all_params_have_grad
from visionbox.pose.registry import KEYPOINT_CODECS, MODELS
from visionbox.pose.structures import PoseDataSample

K = 5
FLIP = [0, 2, 1, 4, 3]
INPUT = (32, 32)


def _sample(codec_cfg, rng):
    codec = KEYPOINT_CODECS.build(codec_cfg)
    kpts = rng.uniform(4, 27, (1, K, 2)).astype(np.float32)
    enc = codec.encode(kpts, np.ones((1, K)))
    sample = PoseDataSample(
        metainfo=dict(
            flip_indices=FLIP,
            input_size=INPUT,
            input_center=np.array([16.0, 16.0]),
            input_scale=np.array([32.0, 32.0]),
        )
    )
    labels = {
        k: torch.from_numpy(np.asarray(v)) for k, v in enc.items() if k in codec.label_mapping_table
    }
    sample.gt_instance_labels = InstanceData(**labels)
    if "heatmaps" in enc:
        sample.gt_fields = PixelData(heatmaps=torch.from_numpy(enc["heatmaps"]))
    sample.gt_instances = InstanceData(
        keypoints=torch.from_numpy(kpts), keypoints_visible=torch.ones(1, K)
    )
    return sample, kpts


HEATMAP = dict(type="MSRAHeatmap", input_size=INPUT, heatmap_size=(8, 8), sigma=1.0)
HEADS = {
    "HeatmapHead": (
        dict(
            type="HeatmapHead",
            in_channels=8,
            out_channels=K,
            deconv_out_channels=(8,),
            deconv_kernel_sizes=(4,),
            conv_out_channels=(8,),
            conv_kernel_sizes=(3,),
            decoder=HEATMAP,
        ),
        (8, 4, 4),
        HEATMAP,
    ),
    "RegressionHead": (
        dict(
            type="RegressionHead",
            in_channels=8,
            num_joints=K,
            decoder=dict(type="RegressionLabel", input_size=INPUT),
        ),
        (8,),
        dict(type="RegressionLabel", input_size=INPUT),
    ),
    "RLEHead": (
        dict(
            type="RLEHead",
            in_channels=8,
            num_joints=K,
            decoder=dict(type="RegressionLabel", input_size=INPUT),
        ),
        (8,),
        dict(type="RegressionLabel", input_size=INPUT),
    ),
    "SimCCHead": (
        dict(
            type="SimCCHead",
            in_channels=8,
            out_channels=K,
            input_size=INPUT,
            in_featuremap_size=(2, 2),
            deconv_out_channels=(8, 8),
            deconv_kernel_sizes=(4, 4),
            decoder=dict(type="SimCCLabel", input_size=INPUT, sigma=2.0),
        ),
        (8, 2, 2),
        dict(type="SimCCLabel", input_size=INPUT, sigma=2.0),
    ),
    "RTMCCHead": (
        dict(
            type="RTMCCHead",
            in_channels=8,
            out_channels=K,
            input_size=INPUT,
            in_featuremap_size=(4, 4),
            final_layer_kernel_size=3,
            gau_cfg=dict(hidden_dims=16, s=8, use_rel_bias=True),
            decoder=dict(type="SimCCLabel", input_size=INPUT, sigma=2.0),
        ),
        (8, 4, 4),
        dict(type="SimCCLabel", input_size=INPUT, sigma=2.0),
    ),
    "VisPredictHead": (
        dict(
            type="VisPredictHead",
            loss=dict(type="BCELoss", use_target_weight=True, use_sigmoid=True, loss_weight=1e-3),
            pose_cfg=dict(
                type="HeatmapHead",
                in_channels=8,
                out_channels=K,
                deconv_out_channels=(8,),
                deconv_kernel_sizes=(4,),
                decoder=HEATMAP,
            ),
        ),
        (8, 4, 4),
        HEATMAP,
    ),
}


@pytest.mark.parametrize("name", list(HEADS))
def test_head_forward_backward_every_parameter_gets_gradient(name):
    cfg, feat_shape, codec = HEADS[name]
    torch.manual_seed(0)
    head = MODELS.build(cfg)
    head.init_weights()
    rng = np.random.default_rng(0)
    samples = [_sample(codec, rng)[0] for _ in range(2)]
    feats = (torch.randn(2, *feat_shape),)
    losses = head.loss(feats, samples)
    total = sum(v for k, v in losses.items() if k.startswith("loss"))
    assert torch.isfinite(total)
    total.backward()
    assert_all_params_have_grad(head)
    head.eval()
    with torch.no_grad():
        preds = head.predict(feats, samples, test_cfg=dict(flip_test=False))
        flipped = head.predict(
            [feats, feats], samples, test_cfg=dict(flip_test=True, shift_heatmap=True)
        )
    for pred in (preds, flipped):
        pred = pred[0] if isinstance(pred, tuple) else pred
        assert len(pred) == 2 and pred[0].keypoints.shape == (1, K, 2)
        assert pred[0].keypoint_scores.shape == (1, K)
    if name == "VisPredictHead":
        assert preds[0].keypoints_visible.shape == (1, K)
        assert "loss_vis" in losses and "acc_vis" in losses


def test_heatmap_flip_test_of_a_symmetric_input_equals_the_plain_prediction():
    head = MODELS.build(
        dict(
            type="HeatmapHead",
            in_channels=4,
            out_channels=K,
            deconv_out_channels=None,
            decoder=HEATMAP,
        )
    )
    feats = torch.randn(1, 4, 8, 8)
    feats = (feats + feats.flip(-1)) / 2
    sample = PoseDataSample(metainfo=dict(flip_indices=list(range(K))))
    out = head.forward((feats,))
    mean = (out + out.flip(-1)) / 2
    from visionbox.pose.models.heads import flip_heatmaps

    flipped = flip_heatmaps(head.forward((feats.flip(-1),)), flip_indices=list(range(K)))
    torch.testing.assert_close((out + flipped) / 2, mean)
    assert (
        len(head.predict([(feats,), (feats.flip(-1),)], [sample], test_cfg=dict(flip_test=True)))
        == 1
    )


def test_keypoint_mse_loss_ignores_zero_weight_keypoints():
    loss = MODELS.build(dict(type="KeypointMSELoss", use_target_weight=True))
    pred, target = torch.rand(2, 3, 4, 4), torch.rand(2, 3, 4, 4)
    weights = torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]])
    changed = pred.clone()
    changed[:, 1] += 10
    assert loss(pred, target, weights) == pytest.approx(loss(changed, target, weights).item())
    assert loss(target, target, weights) == 0


def test_ohkm_loss_keeps_the_hardest_keypoints():
    loss = MODELS.build(dict(type="KeypointOHKMMSELoss", topk=1))
    target = torch.zeros(1, 3, 2, 2)
    pred = torch.zeros(1, 3, 2, 2)
    pred[0, 2] = 2.0
    assert loss(pred, target) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="topk"):
        MODELS.build(dict(type="KeypointOHKMMSELoss", topk=8))(pred, target)


def test_kl_discret_loss_is_zero_for_matching_distributions():
    loss = MODELS.build(dict(type="KLDiscretLoss", use_target_weight=True))
    labels = torch.softmax(torch.randn(2, 3, 10), -1)
    logits = torch.log(labels)
    value = loss((logits, logits), (labels, labels), torch.ones(2, 3))
    assert value.abs() < 1e-6
    assert loss((torch.zeros_like(logits),) * 2, (labels, labels), torch.ones(2, 3)) > 0


def test_bce_loss_use_sigmoid_means_probabilities():
    probs = torch.tensor([[0.9, 0.2]])
    target = torch.tensor([[1.0, 0.0]])
    plain = MODELS.build(dict(type="BCELoss", use_sigmoid=True))(probs, target)
    assert plain == pytest.approx(torch.nn.functional.binary_cross_entropy(probs, target).item())
    logits = MODELS.build(dict(type="BCELoss"))(probs, target)
    assert logits == pytest.approx(
        torch.nn.functional.binary_cross_entropy_with_logits(probs, target).item()
    )


def test_rle_loss_prefers_accurate_confident_predictions():
    loss = MODELS.build(dict(type="RLELoss", use_target_weight=True))
    target = torch.rand(4, 3, 2)
    weight = torch.ones(4, 3, 1)
    good = loss(target + 0.001, torch.full_like(target, -4.0), target, weight)
    bad = loss(target + 0.3, torch.full_like(target, -4.0), target, weight)
    assert good < bad


def test_mpjpe_and_pose_smooth_l1_losses():
    a, b = torch.zeros(2, 3, 3), torch.ones(2, 3, 3)
    assert MODELS.build(dict(type="MPJPELoss"))(a, b) == pytest.approx(3**0.5)
    smooth = MODELS.build(dict(type="SmoothL1Loss", use_target_weight=True))
    assert smooth(a, b, torch.zeros(2, 3)) == 0


def test_misspelt_head_argument_names_the_accepted_ones():
    with pytest.raises(TypeError, match="out_channels"):
        MODELS.build(dict(type="HeatmapHead", in_channels=8, out_channel=3))
