"""The flows of "Customize SOT Models": a user's MobileNet backbone, MyFPN neck and MyHead track
head, written in a file outside the package, registered through ``custom_imports`` and put in
place of SiamRPN's parts by a config that inherits the Shapes SOT demo; one training step."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import torch

from visionbox.core.datasets.shapes.tracking import make_sot

ROOT = Path(__file__).resolve().parents[2]

USER_MODULES = '''
import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from visionbox.tracking.registry import BACKBONES, HEADS, NECKS


@BACKBONES.register_module()
class MobileNet(BaseModule):
    """Depthwise-separable stages; returns a tuple of maps at strides 4 and 8."""

    def __init__(self, arg1, arg2):
        super().__init__()
        layers, cin = [], 3
        for i, cout in enumerate(arg1):
            layers.append(nn.Sequential(
                nn.Conv2d(cin, cin, 3, stride=2 if i < 3 else 1, padding=1, groups=cin),
                nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout), nn.ReLU()))
            cin = cout
        self.stages = nn.ModuleList(layers)
        self.out_indices = arg2

    def forward(self, x):
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)


@NECKS.register_module()
class MyFPN(BaseModule):
    """1x1 lateral convs, each level resized to the last level's size."""

    def __init__(self, arg1, arg2):
        super().__init__()
        self.laterals = nn.ModuleList(nn.Conv2d(c, arg2, 1) for c in arg1)

    def forward(self, inputs):
        size = inputs[-1].shape[-2:]
        return tuple(F.interpolate(l(x), size=size) for l, x in zip(self.laterals, inputs))


@HEADS.register_module()
class MyHead(BaseModule):
    """A correlation response map trained towards a Gaussian at the target's centre."""

    def __init__(self, arg1, arg2):
        super().__init__()
        self.adjust = nn.ModuleList(nn.Conv2d(arg1, arg1, 1) for _ in range(arg2))
        self.calls = 0

    def forward(self, template_feats, search_feats):
        maps = []
        for conv, z, x in zip(self.adjust, template_feats, search_feats):
            n, c = z.shape[:2]
            x = conv(x).reshape(1, n * c, *x.shape[-2:])
            r = F.conv2d(x, z.reshape(n * c, 1, *z.shape[-2:]), groups=n * c)
            maps.append(r.reshape(n, c, *r.shape[-2:]).mean(1))
        return torch.stack(maps).mean(0)

    def loss(self, template_feats, search_feats, data_samples):
        self.calls += 1
        response = self(template_feats, search_feats)
        n, h, w = response.shape
        boxes = torch.stack([s.video_data_samples[-1].gt_instances.bboxes[0] for s in data_samples])
        size = data_samples[0].video_data_samples[-1].img_shape
        scale = boxes.new_tensor([w, h]) / boxes.new_tensor(size[::-1])
        centre = (boxes[:, :2] + boxes[:, 2:]) / 2 * scale
        ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        d2 = (xs[None] - centre[:, 0, None, None]) ** 2 + (ys[None] - centre[:, 1, None, None]) ** 2
        target = torch.exp(-d2 / 2.0)
        return dict(loss_response=F.binary_cross_entropy_with_logits(response, target))
'''

CONFIG = """
_base_ = "tracking::shapes/siamese-rpn_r18_shapes.py"
custom_imports = dict(imports=["my_sot_modules"], allow_failed_imports=False)
model = dict(
    backbone=dict(_delete_=True, type="MobileNet", arg1=[8, 16, 24, 32], arg2=[2, 3]),
    neck=dict(_delete_=True, type="MyFPN", arg1=[24, 32], arg2=16),
    track_head=dict(type="MyHead", arg1=16, arg2=2),
)
"""


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools/tracking" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_user_backbone_neck_and_track_head_train_one_step(tmp_path, monkeypatch):
    user = tmp_path / "user"
    user.mkdir()
    (user / "my_sot_modules.py").write_text(textwrap.dedent(USER_MODULES))
    (user / "my_config.py").write_text(CONFIG)
    monkeypatch.syspath_prepend(str(user))
    data = tmp_path / "shapes_sot"
    make_sot(str(data), seed=0, num_train=2, num_val=1, frames=8)

    from visionbox.tracking.apis import init_track_model

    model = init_track_model(str(user / "my_config.py"))
    assert [type(getattr(model, p)).__name__ for p in ("backbone", "neck", "head")] == [
        "MobileNet",
        "MyFPN",
        "MyHead",
    ]
    before = {k: v.clone() for k, v in model.state_dict().items() if "head.adjust" in k}

    work = tmp_path / "work"
    _tool("train").main(
        [
            str(user / "my_config.py"),
            "--work-dir",
            str(work),
            "--cfg-options",
            f"train_dataloader.dataset.data_root={data}/",
            "train_dataloader.batch_size=2",
            "train_dataloader.sampler.samples_per_epoch=2",
            "train_cfg.max_epochs=1",
            "val_cfg=None",
            "val_dataloader=None",
            "val_evaluator=None",
            "default_hooks.checkpoint.interval=1",
        ]
    )
    checkpoint = torch.load(work / "epoch_1.pth", map_location="cpu", weights_only=False)
    state = checkpoint["state_dict"]
    assert {k.split(".")[0] for k in state} == {"backbone", "neck", "head"}
    changed = [k for k in before if not torch.equal(before[k], state[k])]
    assert changed  # one optimiser step moved the user head's weights
    log = next(work.rglob("*.log")).read_text()
    assert "loss_response" in log
