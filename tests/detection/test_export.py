"""End-to-end export of detectors: ``dets`` / ``labels`` (/ ``masks``) of the exported ONNX and
``torch.export`` files equal the eager wrapper's, which equal ``predict``'s, on a batch of two,
on another batch size and on images without detections."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import Tensor

from visionbox.core.deploy import end2end, run_exported
from visionbox.core.testing import tiny_backbone_cfg
from visionbox.core.testing.export import FORMATS, assert_dets_equal, export_and_verify
from visionbox.detection.deploy import (
    DenseDetectorEnd2End,
    RTMDetInsEnd2End,
    TwoStageDetectorEnd2End,
)
from visionbox.detection.registry import MODELS
from visionbox.detection.structures import DetDataSample

from .conftest import load_cfg, tiny_model_cfg
from .test_detectors import _double_head_cfg

SIZE = 64


def _dense_cfg(kind: str) -> dict:
    if kind in ("rtmdet", "rtmdet-ins"):
        name = "rtmdet-ins" if kind == "rtmdet-ins" else "rtmdet"
        cfg = copy.deepcopy(load_cfg(f"rtmdet/{name}_tiny_8xb32-300e_coco.py").model)
        cfg.backbone.update(widen_factor=0.125, init_cfg=None)
        cfg.neck.update(in_channels=[32, 64, 128], out_channels=16)
        cfg.bbox_head.update(in_channels=16, feat_channels=16, num_classes=3)
        cfg.test_cfg.update(nms_pre=50)
        return cfg
    if kind == "yolox":
        cfg = copy.deepcopy(load_cfg("yolox/yolox_s_8xb8-300e_coco.py").model)
        cfg.backbone.update(deepen_factor=0.33, widen_factor=0.125)
        cfg.neck.update(in_channels=[32, 64, 128], out_channels=16)
        cfg.bbox_head.update(in_channels=16, feat_channels=16, num_classes=3)
        cfg.data_preprocessor.batch_augments = None
        return cfg
    name = {
        "retinanet": "retinanet/retinanet_r50_fpn_1x_coco.py",
        "fcos": "fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py",
    }[kind]
    cfg = copy.deepcopy(load_cfg(name).model)
    cfg.backbone = tiny_backbone_cfg()
    cfg.neck.update(in_channels=[8, 16, 32, 64], out_channels=16)
    cfg.bbox_head.update(in_channels=16, feat_channels=16, stacked_convs=1, num_classes=3)
    if kind == "fcos":
        cfg.bbox_head.norm_cfg = dict(type="GN", num_groups=4, requires_grad=True)
    cfg.test_cfg.update(nms_pre=50)
    return cfg


def _cfg(kind: str) -> dict:
    if kind in ("faster", "mask"):
        return tiny_model_cfg(kind)
    if kind == "double":
        return _double_head_cfg()
    return _dense_cfg(kind)


def _cls_biases(model: torch.nn.Module) -> list[torch.Tensor]:
    """The biases of the layers giving class scores (set them to make or prevent detections)."""
    head = model.roi_head.bbox_head if hasattr(model, "roi_head") else model.bbox_head
    names = (
        "conv_cls",
        "retina_cls",
        "fc_cls",
        "rtm_cls",
        "multi_level_conv_cls",
        "conv_obj",
        "multi_level_conv_obj",
    )
    biases = []
    for name, module in head.named_modules():
        if name.split(".")[0] in names and getattr(module, "bias", None) is not None:
            biases.append(module.bias)
    assert biases, f"no class-score layer found in {type(head).__name__}"
    return biases


TWO = ("faster", "mask", "double")


def _model(kind: str, detections: bool = True) -> torch.nn.Module:
    torch.manual_seed(0)
    model = MODELS.build(_cfg(kind)).eval()
    with torch.no_grad():
        if kind.startswith("rtmdet"):  # 0.01-std init: equal scores at many points; spread them
            for param in model.bbox_head.parameters():
                param.add_(torch.randn_like(param) * 0.1)
        for bias in _cls_biases(model):
            if detections:  # distinct scores: no ties whose order NMS and top-k may swap
                bias.copy_(torch.linspace(0.0, 1.0, bias.numel()))
            else:
                bias.fill_(-30.0)
            if kind in TWO and bias.numel() == model.roi_head.bbox_head.num_classes + 1:
                bias[-1] = 0.5 if detections else 30.0  # background of the softmax
    return model


def _eager(model: torch.nn.Module, inputs: torch.Tensor) -> list:
    h, w = inputs.shape[-2:]
    meta = dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w), scale_factor=(1.0, 1.0))
    samples = [DetDataSample(metainfo=meta) for _ in range(inputs.size(0))]
    with torch.no_grad():
        return [s.pred_instances for s in model.predict(inputs, samples, rescale=False)]


KINDS = ("faster", "mask", "double", "retinanet", "fcos", "yolox", "rtmdet", "rtmdet-ins")


@pytest.mark.parametrize("kind", KINDS)
def test_end2end_wrapper_equals_predict(kind):
    model = _model(kind)
    wrapper = end2end(model)
    expected = DenseDetectorEnd2End
    if kind in TWO:
        expected = TwoStageDetectorEnd2End
    elif kind == "rtmdet-ins":
        expected = RTMDetInsEnd2End
    assert isinstance(wrapper, expected)
    inputs = torch.randn(2, 3, SIZE, SIZE)
    with torch.no_grad():
        outs = wrapper(inputs)
    results = _eager(model, inputs)
    assert sum(len(r.scores) for r in results) > 0, "the test needs detections"
    assert_dets_equal(outs[0], outs[1], results)
    assert outs[1].dtype == torch.int64
    if kind == "mask":
        assert wrapper.output_names == ("dets", "labels", "masks")
        masks = outs[2]
        count = len(results[0].scores)
        assert masks.shape[:2] == outs[1].shape and masks.shape[-1] == 28
        assert bool((masks[0, count:] == 0).all()) and bool((masks[0, :count] > 0).all())


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", [k for k in KINDS if k != "rtmdet-ins"])  # its own test below
def test_exported_detector_equals_eager(kind, fmt, tmp_path):
    model = _model(kind)
    wrapper = end2end(model)
    inputs = torch.randn(2, 3, SIZE, SIZE)
    export_and_verify(wrapper, inputs, fmt, tmp_path, also=(torch.randn(3, 3, SIZE, SIZE),))


@pytest.mark.parametrize(
    ("kind", "fmt"),
    [
        ("mask", "onnx"),
        ("mask", "torch-export"),
        ("retinanet", "onnx"),
        ("yolox", "onnx"),
        ("rtmdet-ins", "onnx"),
    ],
)
def test_exported_detector_without_detections(kind, fmt, tmp_path):
    model = _model(kind, detections=False)
    wrapper = end2end(model)
    inputs = torch.randn(2, 3, SIZE, SIZE)
    assert all(len(r.scores) == 0 for r in _eager(model, inputs))
    path = export_and_verify(wrapper, inputs, fmt, tmp_path, dynamic_batch=False)
    dets, labels = run_exported(path, inputs)[:2]
    assert dets.shape == (2, wrapper.max_per_img, 5) and (dets == 0).all() and (labels == -1).all()


def _assert_instance_masks_equal(dets: Tensor, masks: Tensor, results: list, thr: float) -> None:
    """(N, K, H, W) exported probabilities, thresholded at ``thr``, equal each image's eager
    bool masks row by row (rows matched by score); pixels within 1e-4 of ``thr`` may differ."""
    for i, pred in enumerate(results):
        count = len(pred.scores)
        order = dets[i, :count, 4].argsort(descending=True)
        eager = pred.masks[pred.scores.argsort(descending=True)]
        probs = masks[i, :count][order]
        assert probs.shape == eager.shape, (probs.shape, eager.shape)
        undecided = (probs - thr).abs() < 1e-4
        assert bool(((probs > thr) == eager)[~undecided].all())
        assert int(eager.sum()) > 0, "the test needs mask pixels"
        assert bool((masks[i, count:] == 0).all())


@pytest.mark.parametrize("fmt", FORMATS)
def test_exported_rtmdet_ins_masks_equal_eager(fmt, tmp_path):
    """RTMDet-Ins's dynamic mask kernels, run batched over the K kept detections in the graph,
    give the masks of ``predict`` (thresholded at ``mask_thr_binary``) in both formats, on a
    batch of two and of three."""
    model = _model("rtmdet-ins")
    wrapper = end2end(model)
    inputs = torch.randn(2, 3, SIZE, SIZE)
    path = export_and_verify(wrapper, inputs, fmt, tmp_path, also=(torch.randn(3, 3, SIZE, SIZE),))
    dets, labels, masks = (torch.as_tensor(t) for t in run_exported(path, inputs))
    assert masks.shape == (2, wrapper.max_per_img, SIZE, SIZE)
    results = _eager(model, inputs)
    assert_dets_equal(dets, labels, results)
    thr = model.bbox_head.test_cfg.mask_thr_binary
    _assert_instance_masks_equal(dets, masks, results, thr)
