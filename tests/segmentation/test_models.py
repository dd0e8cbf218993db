"""Decode heads and segmentors: build from config, forward/backward, gradients, inference."""

from __future__ import annotations

import copy
import warnings

import pytest
import torch
from mmengine.structures import PixelData

from visionbox.core.testing import assert_all_params_have_grad
from visionbox.segmentation.registry import MODELS
from visionbox.segmentation.structures import SegDataSample

BN = dict(type="BN", requires_grad=True)
# A tiny dilated ResNet-18-C: out_channels 8, 16, 32, 64, output stride 8.
BACKBONE = dict(
    type="ResNetV1c",
    depth=18,
    stem_channels=8,
    base_channels=8,
    dilations=(1, 1, 2, 4),
    strides=(1, 2, 1, 1),
    norm_cfg=BN,
    contract_dilation=True,
)
COMMON = dict(num_classes=3, norm_cfg=BN, dropout_ratio=0.0)
HEADS = {
    "FCNHead": dict(type="FCNHead", in_channels=64, in_index=3, channels=8, **COMMON),
    "PSPHead": dict(type="PSPHead", in_channels=64, in_index=3, channels=8, **COMMON),
    "ASPPHead": dict(
        type="ASPPHead", in_channels=64, in_index=3, channels=8, dilations=(1, 2), **COMMON
    ),
    "DepthwiseSeparableASPPHead": dict(
        type="DepthwiseSeparableASPPHead",
        in_channels=64,
        in_index=3,
        channels=8,
        dilations=(1, 2),
        c1_in_channels=8,
        c1_channels=4,
        **COMMON,
    ),
    "UPerHead": dict(
        type="UPerHead",
        in_channels=[8, 16, 32, 64],
        in_index=[0, 1, 2, 3],
        channels=8,
        pool_scales=(1, 2),
        **COMMON,
    ),
    "SegformerHead": dict(
        type="SegformerHead",
        in_channels=[8, 16, 32, 64],
        in_index=[0, 1, 2, 3],
        channels=8,
        **COMMON,
    ),
    "FCNHead-resize_concat": dict(
        type="FCNHead",
        in_channels=[32, 64],
        in_index=[2, 3],
        input_transform="resize_concat",
        channels=8,
        num_convs=1,
        **COMMON,
    ),
}


def _samples(n: int, size: tuple[int, int], num_classes: int = 3) -> list[SegDataSample]:
    gen = torch.Generator().manual_seed(0)
    out = []
    for _ in range(n):
        label = torch.randint(0, num_classes, (1, *size), generator=gen)
        label[:, :2] = 255
        sample = SegDataSample(gt_sem_seg=PixelData(data=label))
        sample.set_metainfo(dict(img_shape=size, ori_shape=size, pad_shape=size))
        out.append(sample)
    return out


def _segmentor(head: dict, **kwargs) -> torch.nn.Module:
    cfg = dict(
        type="EncoderDecoder",
        backbone=copy.deepcopy(BACKBONE),
        decode_head=copy.deepcopy(head),
        data_preprocessor=dict(type="SegDataPreProcessor"),
        **kwargs,
    )
    return MODELS.build(cfg)


@pytest.mark.parametrize("name", list(HEADS))
def test_head_forward_backward_every_parameter_gets_gradient(name):
    torch.manual_seed(0)
    model = _segmentor(
        HEADS[name],
        auxiliary_head=dict(type="FCNHead", in_channels=32, in_index=2, channels=4, **COMMON),
    )
    model.init_weights()
    inputs = torch.randn(2, 3, 32, 32)
    losses = model(inputs, _samples(2, (32, 32)), mode="loss")
    assert {"decode.loss_ce", "decode.acc_seg", "aux.loss_ce"} <= set(losses)
    total = sum(v for k, v in losses.items() if "loss" in k)
    assert torch.isfinite(total) and total > 0
    total.backward()
    assert_all_params_have_grad(model)
    model.eval()
    with torch.no_grad():
        preds = model(inputs, _samples(2, (32, 32)), mode="predict")
    assert preds[0].pred_sem_seg.data.shape == (1, 32, 32)
    assert preds[0].seg_logits.data.shape == (3, 32, 32)


def test_misspelt_head_argument_names_the_accepted_ones():
    cfg = dict(HEADS["PSPHead"], pool_scale=(1, 2))
    with pytest.raises(TypeError, match="pool_scales"):
        MODELS.build(cfg)


def test_logits_are_resized_to_the_original_image_and_padding_is_cut():
    model = _segmentor(HEADS["FCNHead"]).eval()
    sample = SegDataSample()
    # A 30x28 image padded to 32x32, originally 60x56.
    sample.set_metainfo(
        dict(
            ori_shape=(60, 56),
            img_shape=(30, 28),
            pad_shape=(32, 32),
            img_padding_size=[0, 4, 0, 2],
        )
    )
    with torch.no_grad():
        out = model(torch.randn(1, 3, 32, 32), [sample], mode="predict")
    assert out[0].seg_logits.shape == (60, 56)
    assert out[0].pred_sem_seg.data.max() < 3


def test_slide_inference_equals_whole_when_one_window_covers_the_image():
    torch.manual_seed(0)
    whole = _segmentor(HEADS["PSPHead"], test_cfg=dict(mode="whole")).eval()
    slide = _segmentor(
        HEADS["PSPHead"], test_cfg=dict(mode="slide", crop_size=(48, 40), stride=(32, 32))
    ).eval()
    slide.load_state_dict(whole.state_dict())
    inputs = torch.randn(2, 3, 48, 40)
    with torch.no_grad():
        a = whole(inputs, _samples(2, (48, 40)), mode="predict")
        b = slide(inputs, _samples(2, (48, 40)), mode="predict")
    for x, y in zip(a, b):
        torch.testing.assert_close(x.seg_logits.data, y.seg_logits.data)


def test_slide_inference_averages_overlapping_windows():
    model = _segmentor(
        HEADS["FCNHead"], test_cfg=dict(mode="slide", crop_size=(32, 32), stride=(16, 16))
    ).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 48, 64), _samples(1, (48, 64)), mode="predict")
    assert out[0].seg_logits.shape == (48, 64)
    assert torch.isfinite(out[0].seg_logits.data).all()


def test_loss_decode_list_and_ohem_sampler():
    head = dict(
        HEADS["FCNHead"],
        sampler=dict(type="OHEMPixelSampler", thresh=0.7, min_kept=10),
        loss_decode=[
            dict(type="CrossEntropyLoss", loss_weight=1.0),
            dict(type="CrossEntropyLoss", loss_weight=0.5, loss_name="loss_ce2"),
        ],
    )
    model = _segmentor(head)
    losses = model(torch.randn(2, 3, 32, 32), _samples(2, (32, 32)), mode="loss")
    assert {"decode.loss_ce", "decode.loss_ce2"} <= set(losses)
    weights = model.decode_head.sampler.sample(
        torch.randn(2, 3, 8, 8), torch.randint(0, 3, (2, 1, 8, 8))
    )
    assert weights.shape == (2, 8, 8) and weights.sum() >= 10


def test_binary_head_with_threshold():
    head = dict(HEADS["FCNHead"], num_classes=2, out_channels=1, threshold=0.5)
    head["loss_decode"] = dict(type="CrossEntropyLoss", use_sigmoid=True)
    model = _segmentor(head)
    losses = model(torch.randn(2, 3, 32, 32), _samples(2, (32, 32), 2), mode="loss")
    assert torch.isfinite(losses["decode.loss_ce"])
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 32, 32), _samples(1, (32, 32)), mode="predict")
    assert set(out[0].pred_sem_seg.data.unique().tolist()) <= {0.0, 1.0}


def test_cascade_encoder_decoder_with_a_cascade_head():
    from visionbox.segmentation.models.decode_heads import BaseCascadeDecodeHead

    class PrevFuseHead(BaseCascadeDecodeHead):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.fuse = torch.nn.Conv2d(self.in_channels + self.num_classes, self.channels, 1)

        def forward(self, inputs, prev_output):
            x = self._transform_inputs(inputs)
            return self.cls_seg(self.fuse(torch.cat([x, prev_output], dim=1)))

    model = MODELS.build(
        dict(
            type="CascadeEncoderDecoder",
            num_stages=2,
            backbone=copy.deepcopy(BACKBONE),
            decode_head=[
                copy.deepcopy(HEADS["FCNHead"]),
                PrevFuseHead(in_channels=64, in_index=3, channels=8, num_classes=3),
            ],
            data_preprocessor=dict(type="SegDataPreProcessor"),
        )
    )
    losses = model(torch.randn(2, 3, 32, 32), _samples(2, (32, 32)), mode="loss")
    assert {"decode_0.loss_ce", "decode_1.loss_ce"} <= set(losses)
    sum(v for k, v in losses.items() if "loss" in k).backward()
    assert_all_params_have_grad(model)
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 32, 32), _samples(1, (32, 32)), mode="predict")
    assert out[0].pred_sem_seg.data.shape == (1, 32, 32)


def test_data_preprocessor_pads_images_with_0_and_labels_with_255():
    pre = MODELS.build(dict(type="SegDataPreProcessor", size=(40, 36), pad_val=0))
    sample = SegDataSample(gt_sem_seg=PixelData(data=torch.zeros(1, 30, 20, dtype=torch.long)))
    out = pre(dict(inputs=[torch.full((3, 30, 20), 7.0)], data_samples=[sample]), training=True)
    assert out["inputs"].shape == (1, 3, 40, 36)
    assert (out["inputs"][0, :, 30:, :] == 0).all() and (out["inputs"][0, :, :30, :20] == 7).all()
    seg = out["data_samples"][0].gt_sem_seg.data
    assert seg.shape == (1, 40, 36) and (seg[:, 30:] == 255).all() and (seg[:, :30, :20] == 0).all()
    assert out["data_samples"][0].metainfo["padding_size"] == [0, 16, 0, 10]


def test_dilated_resnet_is_cores_with_contract_dilation_and_multi_grid():
    from visionbox.core.models.backbones import ResNetV1c

    net = MODELS.build(dict(BACKBONE, multi_grid=(1, 2)))
    assert type(net) is ResNetV1c  # the segmentation scope resolves core's class
    assert net.layer3[0].conv1.dilation == (1, 1)  # contracted from 2
    assert net.layer3[1].conv1.dilation == (2, 2)
    assert [b.conv1.dilation for b in net.layer4] == [(1, 1), (2, 2)]  # mmseg: the grid itself
    out = net(torch.randn(1, 3, 32, 32))
    assert [o.shape[-1] for o in out] == [8, 4, 4, 4]


def test_syncbn_config_builds_in_one_process_as_bn_with_a_warning(monkeypatch):
    # The fallback warns once per process: forget an earlier test's warning.
    monkeypatch.setattr("visionbox.core.models.layers.norm._warned_sync_bn", False)
    head = dict(HEADS["FCNHead"], norm_cfg=dict(type="SyncBN", requires_grad=True))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = _segmentor(head)
        losses = model(torch.randn(2, 3, 32, 32), _samples(2, (32, 32)), mode="loss")
    assert torch.isfinite(losses["decode.loss_ce"])
    assert not any(isinstance(m, torch.nn.SyncBatchNorm) for m in model.modules())
    assert any("SyncBN" in str(w.message) for w in caught)
