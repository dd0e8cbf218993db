"""Every shipped config builds; the R50 models have mmdet 3.3's sizes; the flows of the
"customize models" tutorial work (custom_imports backbone, PAFPN, Double-Head, MyLoss)."""

from __future__ import annotations

import glob
import os
import sys
import textwrap

import pytest
import torch

from visionbox.core.config import Config
from visionbox.detection.registry import MODELS

from .conftest import CONFIGS, load_cfg, make_samples, repo_path, tiny_model_cfg

SHIPPED = sorted(
    os.path.relpath(p, repo_path(CONFIGS))
    for p in glob.glob(repo_path(f"{CONFIGS}/**/*.py"), recursive=True)
    if "_base_" not in p
)


def _num_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_config_validates_and_builds(name):
    cfg = load_cfg(name)
    cfg.validate()
    assert cfg.default_scope == "detection"
    model = MODELS.build(cfg.model)
    assert _num_params(model) > 0


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py", 41_753_056),
        ("mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py", 44_396_336),
    ],
)
def test_r50_models_have_mmdetection_sizes(name, count):
    assert _num_params(MODELS.build(load_cfg(name).model)) == count


def test_faster_rcnn_state_dict_keys_follow_mmdetection():
    keys = set(
        MODELS.build(load_cfg("faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py").model).state_dict()
    )
    for key in (
        "backbone.layer4.2.conv3.weight",
        "neck.lateral_convs.0.conv.weight",
        "neck.fpn_convs.3.conv.bias",
        "rpn_head.rpn_conv.weight",
        "rpn_head.rpn_cls.weight",
        "rpn_head.rpn_reg.bias",
        "roi_head.bbox_head.shared_fcs.0.weight",
        "roi_head.bbox_head.shared_fcs.1.bias",
        "roi_head.bbox_head.fc_cls.weight",
        "roi_head.bbox_head.fc_reg.weight",
    ):
        assert key in keys, key
    assert not any(k.startswith("roi_head.bbox_roi_extractor") for k in keys)


def test_double_head_config_deletes_the_base_bbox_head():
    cfg = load_cfg("double_heads/dh-faster-rcnn_r50_fpn_1x_coco.py")
    head = cfg.model.roi_head.bbox_head
    assert head.type == "DoubleConvFCBBoxHead" and "num_shared_fcs" not in head
    assert "_delete_" not in head and "fc_out_channels" in head
    model = MODELS.build(cfg.model)
    assert type(model.roi_head).__name__ == "DoubleHeadRoIHead"
    assert model.roi_head.reg_roi_scale_factor == 1.3
    keys = set(model.state_dict())
    assert "roi_head.bbox_head.res_block.conv1.conv.weight" in keys
    assert "roi_head.bbox_head.conv_branch.3.conv3.weight" in keys
    assert "roi_head.bbox_head.fc_branch.1.weight" in keys


def _write_module(tmp_path, name: str, source: str) -> None:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    sys.path.insert(0, str(tmp_path))


def _loss_of(cfg_model: dict) -> dict:
    model = MODELS.build(cfg_model)
    samples = make_samples(1, 64)
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)], data_samples=samples),
        True,
    )
    return model(**data, mode="loss")


def test_new_backbone_through_custom_imports(tmp_path):
    _write_module(
        tmp_path,
        "vb_det_tiny_backbone",
        """
        import torch.nn as nn
        from visionbox.detection.registry import BACKBONES

        @BACKBONES.register_module()
        class TinyMobileNet(nn.Module):
            def __init__(self, arg1, arg2):
                super().__init__()
                self.out_channels = [arg1, arg2]
                self.c1 = nn.Conv2d(3, arg1, 3, stride=4, padding=1)
                self.c2 = nn.Conv2d(arg1, arg2, 3, stride=2, padding=1)

            def forward(self, x):
                a = self.c1(x)
                return (a, self.c2(a))
        """,
    )
    try:
        cfg = Config(
            dict(
                custom_imports=dict(imports=["vb_det_tiny_backbone"], allow_failed_imports=False),
                model=tiny_model_cfg(),
            )
        )
        cfg.model.backbone = dict(type="TinyMobileNet", arg1=8, arg2=16)
        cfg.model.neck = dict(type="FPN", in_channels=[8, 16], out_channels=16, num_outs=5)
        from visionbox.core.engine import load_config

        cfg = load_config(cfg, default_scope="detection")
        losses = _loss_of(cfg.model)
        assert losses["loss_cls"] > 0
    finally:
        sys.path.remove(str(tmp_path))


def test_fpn_swapped_for_pafpn():
    cfg = tiny_model_cfg()
    cfg.neck = dict(type="PAFPN", in_channels=[8, 16, 32, 64], out_channels=16, num_outs=5)
    model = MODELS.build(cfg)
    assert type(model.neck).__name__ == "PAFPN"
    assert _loss_of(cfg)["loss_rpn_cls"] > 0


def test_user_loss_as_loss_bbox(tmp_path):
    _write_module(
        tmp_path,
        "vb_det_my_loss",
        """
        import torch
        import torch.nn as nn
        from visionbox.detection.registry import LOSSES
        from visionbox.core.models import weighted_loss

        @weighted_loss
        def my_loss(pred, target):
            assert pred.size() == target.size() and target.numel() > 0
            return torch.abs(pred - target)

        @LOSSES.register_module()
        class MyLoss(nn.Module):
            calls = 0

            def __init__(self, reduction='mean', loss_weight=1.0):
                super().__init__()
                self.reduction = reduction
                self.loss_weight = loss_weight

            def forward(self, pred, target, weight=None, avg_factor=None,
                        reduction_override=None):
                assert reduction_override in (None, 'none', 'mean', 'sum')
                reduction = reduction_override if reduction_override else self.reduction
                MyLoss.calls += 1
                return self.loss_weight * my_loss(
                    pred, target, weight, reduction=reduction, avg_factor=avg_factor)
        """,
    )
    try:
        import vb_det_my_loss

        cfg = tiny_model_cfg()
        cfg.roi_head.bbox_head.loss_bbox = dict(type="MyLoss", loss_weight=1.0)
        losses = _loss_of(cfg)
        assert vb_det_my_loss.MyLoss.calls == 1 and losses["loss_bbox"] > 0
    finally:
        sys.path.remove(str(tmp_path))


def test_misspelt_type_fails_with_a_suggestion():
    cfg = tiny_model_cfg()
    cfg.roi_head.bbox_head.type = "Shared2FCBboxHead"
    with pytest.raises(KeyError, match="Shared2FCBBoxHead"):
        MODELS.build(cfg)
