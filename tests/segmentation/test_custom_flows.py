"""The flows of the "customize models" tutorial, each switched on from a config through
``custom_imports`` of a user module written to a temporary folder."""

from __future__ import annotations

import sys
import textwrap

import pytest
import torch
from mmengine.structures import PixelData

from visionbox.core.engine import load_config
from visionbox.core.optim import build_optim_wrapper
from visionbox.segmentation.registry import MODELS
from visionbox.segmentation.structures import SegDataSample

USER_MODULE = "vb_seg_user_ext"
USER_CODE = '''
import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from torch.optim import Optimizer

from visionbox.core.models import weighted_loss
from visionbox.segmentation.models.decode_heads import BaseDecodeHead
from visionbox.segmentation.registry import (
    BACKBONES, HEADS, LOSSES, OPTIMIZER_BUILDERS, OPTIMIZERS,
)


@OPTIMIZERS.register_module()
class MyOptimizer(Optimizer):
    """Plain SGD whose step is scaled by a * b * c."""

    def __init__(self, params, a, b, c):
        super().__init__(params, dict(lr=a * b * c))
        self.a, self.b, self.c = a, b, c

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-group["lr"])


@OPTIMIZER_BUILDERS.register_module()
class CocktailOptimizerConstructor:
    """Backbone parameters get lr * backbone_lr_mult; norm layers no weight decay."""

    def __init__(self, optim_wrapper_cfg, paramwise_cfg=None):
        self.optim_wrapper_cfg = dict(optim_wrapper_cfg)
        self.paramwise_cfg = paramwise_cfg or {}

    def __call__(self, model):
        cfg = dict(self.optim_wrapper_cfg)
        opt_cfg = dict(cfg.pop("optimizer"))
        cfg.pop("type", None)
        lr = opt_cfg.pop("lr")
        mult = self.paramwise_cfg.get("backbone_lr_mult", 1.0)
        backbone = [p for n, p in model.named_parameters() if n.startswith("backbone.")]
        rest = [p for n, p in model.named_parameters() if not n.startswith("backbone.")]
        opt_cfg.pop("type")
        optimizer = torch.optim.SGD(
            [dict(params=backbone, lr=lr * mult), dict(params=rest, lr=lr)], **opt_cfg
        )
        return OptimWrapper(optimizer, **cfg)


@BACKBONES.register_module()
class MobileNet(nn.Module):
    def __init__(self, arg1, arg2):
        super().__init__()
        self.stem = nn.Conv2d(3, arg1, 3, stride=2, padding=1)
        self.stage = nn.Conv2d(arg1, arg2, 3, stride=2, padding=1)

    def forward(self, x):  # should return a tuple
        x = torch.relu(self.stem(x))
        return (x, torch.relu(self.stage(x)))

    def init_weights(self, pretrained=None):
        pass


@HEADS.register_module()
class MyPSPLikeHead(BaseDecodeHead):
    def __init__(self, pool_scales=(1, 2), **kwargs):
        super().__init__(**kwargs)
        self.pools = nn.ModuleList(nn.AdaptiveAvgPool2d(s) for s in pool_scales)
        self.bottleneck = nn.Conv2d(self.in_channels * (len(pool_scales) + 1), self.channels, 1)

    def forward(self, inputs):
        x = self._transform_inputs(inputs)
        size = x.shape[2:]
        feats = [x] + [nn.functional.interpolate(p(x), size) for p in self.pools]
        return self.cls_seg(self.bottleneck(torch.cat(feats, dim=1)))


@weighted_loss
def my_loss(pred, target):
    assert pred.size() == target.size() and target.numel() > 0
    loss = torch.abs(pred - target)
    return loss


@LOSSES.register_module()
class MyLoss(nn.Module):
    """L1 between softmax scores and one-hot labels (ignored pixels weigh 0)."""

    def __init__(self, reduction="mean", loss_weight=1.0):
        super().__init__()
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, pred, target, weight=None, avg_factor=None, reduction_override=None,
                ignore_index=255):
        assert reduction_override in (None, "none", "mean", "sum")
        reduction = reduction_override if reduction_override else self.reduction
        valid = (target != ignore_index).unsqueeze(1).float()
        onehot = nn.functional.one_hot(
            torch.where(target == ignore_index, 0, target), pred.shape[1]
        ).permute(0, 3, 1, 2).float()
        return self.loss_weight * my_loss(
            pred.softmax(dim=1), onehot, valid.expand_as(pred), reduction=reduction,
            avg_factor=avg_factor,
        )
'''


@pytest.fixture(scope="module")
def user_module(tmp_path_factory):
    folder = tmp_path_factory.mktemp("user_ext")
    (folder / f"{USER_MODULE}.py").write_text(textwrap.dedent(USER_CODE))
    sys.path.insert(0, str(folder))
    yield USER_MODULE
    sys.path.remove(str(folder))


def _samples(n=2, size=(32, 32)):
    gen = torch.Generator().manual_seed(0)
    out = []
    for _ in range(n):
        label = torch.randint(0, 3, (1, *size), generator=gen)
        label[:, :3] = 255
        sample = SegDataSample(gt_sem_seg=PixelData(data=label))
        sample.set_metainfo(dict(img_shape=size, ori_shape=size, pad_shape=size))
        out.append(sample)
    return out


def _config(user_module, **optim_wrapper):
    return dict(
        default_scope="segmentation",
        custom_imports=dict(imports=[user_module], allow_failed_imports=False),
        model=dict(
            type="EncoderDecoder",
            data_preprocessor=dict(type="SegDataPreProcessor"),
            backbone=dict(type="MobileNet", arg1=8, arg2=16),
            decode_head=dict(
                type="MyPSPLikeHead",
                in_channels=16,
                in_index=1,
                channels=8,
                num_classes=3,
                pool_scales=(1, 2),
                loss_decode=[
                    dict(type="CrossEntropyLoss", loss_weight=1.0),
                    dict(type="MyLoss", loss_weight=1.0),
                ],
            ),
        ),
        optim_wrapper=optim_wrapper,
    )


def _train_step(cfg):
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper.to_dict(), "segmentation")
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    losses = model(torch.randn(2, 3, 32, 32), _samples(), mode="loss")
    total = sum(v for k, v in losses.items() if "loss" in k)
    wrapper.update_params(total)
    moved = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    return model, wrapper, losses, moved


def test_user_backbone_head_loss_and_optimizer_from_config(user_module):
    cfg = load_config(
        _config(
            user_module,
            type="OptimWrapper",
            optimizer=dict(type="MyOptimizer", a=0.1, b=0.5, c=2.0),
        )
    )
    model, wrapper, losses, moved = _train_step(cfg)
    assert type(model.backbone).__name__ == "MobileNet"
    assert type(model.decode_head).__name__ == "MyPSPLikeHead"
    # MyLoss has no loss_name: it is reported as loss_my and is part of the total.
    assert {"decode.loss_ce", "decode.loss_my"} <= set(losses)
    assert losses["decode.loss_my"] > 0
    optimizer = wrapper.optimizer
    assert type(optimizer).__name__ == "MyOptimizer"
    assert (optimizer.a, optimizer.b, optimizer.c) == (0.1, 0.5, 2.0)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1)
    assert "backbone.stem.weight" in moved and "decode_head.conv_seg.weight" in moved


def test_user_optimizer_constructor_with_paramwise_cfg(user_module):
    cfg = load_config(
        _config(
            user_module,
            type="OptimWrapper",
            constructor="CocktailOptimizerConstructor",
            paramwise_cfg=dict(backbone_lr_mult=0.1),
            optimizer=dict(type="SGD", lr=0.02, momentum=0.9),
        )
    )
    _, wrapper, _, moved = _train_step(cfg)
    lrs = [group["lr"] for group in wrapper.optimizer.param_groups]
    assert lrs == pytest.approx([0.002, 0.02])
    assert "backbone.stage.weight" in moved


def test_user_head_rejects_a_misspelt_base_argument(user_module):
    cfg = load_config(_config(user_module, type="OptimWrapper", optimizer=dict(type="SGD", lr=0.1)))
    head = cfg.model.decode_head.to_dict()
    head["num_class"] = head.pop("num_classes")
    with pytest.raises(TypeError, match="num_classes"):
        MODELS.build(head)
