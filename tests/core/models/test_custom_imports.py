"""The "customize models" flow: a user's backbone, neck and loss (with ``weighted_loss``) written
outside the package, registered through ``custom_imports``, used from a config, trained one step."""

from __future__ import annotations

import sys
import textwrap

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.structures import BaseDataElement

from visionbox.core.registry import MODELS
from visionbox.core.testing import tiny_images

USER_MODULE = """
import torch
import torch.nn as nn

from visionbox.core.models import BaseTaskModel, build_component
from visionbox.core.models.losses import weighted_loss
from visionbox.core.registry import BACKBONES, LOSSES, MODELS, NECKS


@BACKBONES.register_module()
class UserMobileNet(nn.Module):
    def __init__(self, arg1, arg2):
        super().__init__()
        self.conv = nn.Conv2d(3, arg1, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(arg1, arg2, 3, stride=2, padding=1)
        self.out_channels = [arg1, arg2]

    def forward(self, x):
        a = torch.relu(self.conv(x))
        return (a, torch.relu(self.conv2(a)))


@NECKS.register_module()
class UserNeck(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.in_channels = in_channels
        self.convs = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels)

    def forward(self, inputs):
        return tuple(conv(x) for conv, x in zip(self.convs, inputs))


@weighted_loss
def my_loss(pred, target):
    assert pred.size() == target.size() and target.numel() > 0
    return torch.abs(pred - target)


@LOSSES.register_module()
class UserLoss(nn.Module):
    def __init__(self, reduction='mean', loss_weight=1.0):
        super().__init__()
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, pred, target, weight=None, avg_factor=None, reduction_override=None):
        reduction = reduction_override if reduction_override else self.reduction
        loss = my_loss(pred, target, weight, reduction=reduction, avg_factor=avg_factor)
        return self.loss_weight * loss


@MODELS.register_module()
class UserRegressor(BaseTaskModel):
    def __init__(self, backbone, neck, loss, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.build_trunk(backbone, neck)
        self.loss_fn = build_component(loss)

    def _forward(self, inputs, data_samples=None):
        return torch.stack([f.mean(dim=(1, 2, 3)) for f in self.extract_feat(inputs)], 1)

    def loss(self, inputs, data_samples):
        target = torch.stack([s.target for s in data_samples])
        return dict(loss_user=self.loss_fn(self._forward(inputs), target))

    def predict(self, inputs, data_samples):
        return self._forward(inputs)
"""

CONFIG = """
custom_imports = dict(imports=['{module}'], allow_failed_imports=False)
model = dict(
    type='UserRegressor',
    backbone=dict(type='UserMobileNet', arg1=4, arg2=8),
    neck=dict(type='UserNeck', in_channels=[4, 8], out_channels=6),
    loss=dict(type='UserLoss', loss_weight=2.0),
)
"""


@pytest.fixture
def user_files(tmp_path, monkeypatch):
    module = "visionbox_user_models"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(USER_MODULE))
    (tmp_path / "config.py").write_text(CONFIG.format(module=module))
    monkeypatch.syspath_prepend(str(tmp_path))
    registered = set(MODELS.module_dict)
    yield tmp_path / "config.py"
    for name in set(MODELS.module_dict) - registered:  # keep the registry as the other tests expect
        del MODELS._module_dict[name]
    sys.modules.pop(module, None)


def test_user_components_train_one_step(user_files):
    cfg = Config.fromfile(str(user_files))
    model = MODELS.build(cfg.model)
    assert type(model.backbone).__name__ == "UserMobileNet"
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = [p.detach().clone() for p in model.parameters()]
    data = dict(
        inputs=tiny_images(2, 3, 16),
        data_samples=[BaseDataElement(target=torch.ones(2)) for _ in range(2)],
    )
    log_vars = model.train_step(data, wrapper)
    assert log_vars["loss_user"] > 0
    changed = [not torch.equal(b, p) for b, p in zip(before, model.parameters())]
    assert all(changed)


def test_user_neck_mismatch_is_caught(user_files):
    cfg = Config.fromfile(str(user_files))
    cfg.model.neck.in_channels = [4, 16]
    with pytest.raises(ValueError, match=r"\[4, 16\].*\[4, 8\]"):
        MODELS.build(cfg.model)


def test_misspelt_user_key_fails_with_suggestion(user_files):
    cfg = Config.fromfile(str(user_files))
    cfg.model.backbone = dict(type="UserMobileNet", arg1=4, agr2=8)
    with pytest.raises(TypeError, match="Did you mean 'arg2'"):
        MODELS.build(cfg.model)
