"""RoIAlign as weighted row sums: equal to torchvision's kernel forward and backward, and used
where it should be (training and the deploy form on the CPU; torchvision's kernel for plain
evaluation and export). A channels-last training step equals the NCHW one."""

from __future__ import annotations

import copy

import pytest
import torch
from torchvision.ops import roi_align

from visionbox.detection.models.roi_heads.roi_extractors import RoIAlign
from visionbox.detection.models.roi_heads.roi_extractors import (
    single_level_roi_extractor as extractor_module,
)
from visionbox.detection.models.roi_heads.roi_extractors.roi_align import roi_align_rows
from visionbox.detection.registry import MODELS

from .conftest import make_samples, tiny_model_cfg


def _rois(num: int, num_imgs: int, height: int, width: int, stride: int) -> torch.Tensor:
    """RoIs of every kind: inside, across and outside the map's edges, tiny, empty, inverted."""
    g = torch.Generator().manual_seed(num)
    xy = torch.rand(num, 2, generator=g) * torch.tensor([width, height]) * stride * 1.1 - 20
    wh = torch.rand(num, 2, generator=g) * 25 * stride - 5  # some negative: empty RoIs
    imgs = torch.randint(0, num_imgs, (num, 1), generator=g)
    return torch.cat([imgs, xy, xy + wh], 1).double()


@pytest.mark.parametrize("sampling_ratio", [0, 1, 2, 3])
@pytest.mark.parametrize("aligned", [True, False])
@pytest.mark.parametrize("output_size", [(7, 7), (5, 3)])
def test_rows_equal_torchvision_forward(sampling_ratio, aligned, output_size):
    feats = torch.randn(2, 6, 19, 27, dtype=torch.float64)
    rois = _rois(40, 2, 19, 27, 4)
    expected = roi_align(feats, rois, output_size, 0.25, sampling_ratio, aligned)
    for layout in (torch.contiguous_format, torch.channels_last):
        out = roi_align_rows(
            feats.contiguous(memory_format=layout), rois, output_size, 0.25, sampling_ratio, aligned
        )
        torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("sampling_ratio", [0, 2])
def test_rows_equal_torchvision_backward(sampling_ratio):
    feats = torch.randn(2, 5, 23, 17, dtype=torch.float64)
    rois = _rois(30, 2, 23, 17, 8)
    weights = torch.randn(len(rois), 5, 7, 7, dtype=torch.float64)
    grads = []
    for fn in (roi_align, roi_align_rows):
        x = feats.clone().requires_grad_(True)
        (fn(x, rois, (7, 7), 0.125, sampling_ratio, True) * weights).sum().backward()
        grads.append(x.grad)
    torch.testing.assert_close(grads[1], grads[0], rtol=0, atol=1e-12)


def test_rows_of_only_empty_rois_are_zeros():
    feats = torch.randn(1, 3, 8, 8)
    rois = torch.tensor([[0, 5.0, 5, 5, 5], [0, 9, 9, 2, 2]])
    assert roi_align_rows(feats, rois, (7, 7), 1.0, 0, True).abs().sum() == 0


def test_layer_chooses_rows_in_training_and_deploy_torchvision_otherwise(monkeypatch):
    calls = []

    def spy(*args):
        calls.append(args[3])
        return roi_align_rows(*args)

    monkeypatch.setattr(extractor_module, "roi_align_rows", spy)
    layer = RoIAlign(7, spatial_scale=0.25, sampling_ratio=2)
    feats = torch.randn(1, 4, 16, 16)
    rois = torch.tensor([[0, 4.0, 4, 40, 30], [0, 10, 20, 60, 62]])
    expected = roi_align(feats, rois, 7, 0.25, 2, True)
    assert torch.equal(layer(feats, rois), expected)  # plain evaluation: torchvision's, exactly
    assert calls == []
    trained = layer(feats.clone().requires_grad_(True), rois)  # recording gradients
    assert calls == [0.25]
    torch.testing.assert_close(trained, expected, rtol=1e-5, atol=1e-6)
    layer.switch_to_deploy()
    torch.testing.assert_close(layer(feats, rois), expected, rtol=1e-5, atol=1e-6)
    assert len(calls) == 2
    # tracing and export: torchvision's
    traced = torch.jit.trace(layer, (feats, rois), check_trace=False)
    assert len(calls) == 2
    assert torch.equal(traced(feats, rois), expected)


def test_channels_last_training_step_equals_nchw():
    """The shipped R50 configs hand channels-last batches to the model; a tiny Faster R-CNN
    (channels of 16 and more, so channels-last is kept) gets the same losses and gradients, in
    float64 (in float32 the tiny random net's batch-of-two BatchNorm amplifies rounding)."""
    cfg = tiny_model_cfg()
    cfg.backbone.update(base_channels=16)
    cfg.neck.in_channels = [16, 32, 64, 128]
    assert cfg.data_preprocessor.channels_last
    torch.manual_seed(0)
    model = MODELS.build(cfg).double()
    nchw = copy.deepcopy(model)
    nchw.data_preprocessor.channels_last = False
    images = [torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8) for _ in range(2)]
    results = []
    for net in (model, nchw):
        net.train()
        torch.manual_seed(1)  # the same RPN / RoI sampling on both
        data = net.data_preprocessor(dict(inputs=images, data_samples=make_samples(2, 64)), True)
        inputs = data["inputs"].double()
        losses = net(inputs, data["data_samples"], mode="loss")
        total = sum(v.sum() for k, v in losses.items() if "loss" in k)
        total.backward()
        grads = [p.grad for p in net.parameters() if p.grad is not None]
        results.append((inputs.is_contiguous(memory_format=torch.channels_last), total, grads))
    (cl, loss_cl, grads_cl), (plain, loss_plain, grads_plain) = results
    assert cl and not plain
    torch.testing.assert_close(loss_cl, loss_plain, rtol=1e-10, atol=1e-12)
    assert len(grads_cl) == len(grads_plain) > 50
    for a, b in zip(grads_cl, grads_plain, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10)
