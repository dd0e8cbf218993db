"""Base classes: the task model's mode dispatch, trunk building with the channel check, heads."""

from __future__ import annotations

import pytest
import torch
from mmengine.structures import BaseDataElement
from torch import nn

from visionbox.core.models import BaseHead, BaseTaskModel, build_component
from visionbox.core.registry import MODELS
from visionbox.core.testing import tiny_backbone_cfg, tiny_images, tiny_neck_cfg


class _PoolHead(BaseHead):
    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_channels, num_classes)
        self.loss_cls = build_component(dict(type="CrossEntropyLoss"))

    def forward(self, feats):
        return self.fc(feats[-1].mean(dim=(2, 3)))

    def loss(self, feats, batch_data_samples):
        labels = torch.stack([s.gt_label for s in batch_data_samples])
        return dict(loss_cls=self.loss_cls(self(feats), labels))

    def predict(self, feats, batch_data_samples, **kwargs):
        scores = self(feats).softmax(-1)
        for sample, score in zip(batch_data_samples, scores):
            sample.pred_score = score
        return batch_data_samples


class _Classifier(BaseTaskModel):
    def __init__(self, backbone, neck=None, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.build_trunk(backbone, neck)
        self.head = _PoolHead(16 if neck else 64, 3)

    def loss(self, inputs, data_samples):
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs, data_samples):
        return self.head.predict(self.extract_feat(inputs), data_samples)

    def _forward(self, inputs, data_samples=None):
        return self.head(self.extract_feat(inputs))


def _samples(n=2):
    return [BaseDataElement(gt_label=torch.tensor(i % 3)) for i in range(n)]


def test_mode_dispatch_and_bad_mode():
    model = _Classifier(tiny_backbone_cfg(), tiny_neck_cfg())
    x = tiny_images(2, 3, 32)
    assert model(x, mode="tensor").shape == (2, 3)
    losses = model(x, _samples(), mode="loss")
    assert set(losses) == {"loss_cls"} and losses["loss_cls"] > 0
    preds = model(x, _samples(), mode="predict")
    assert torch.allclose(preds[0].pred_score.sum(), torch.tensor(1.0))
    with pytest.raises(ValueError) as err:
        model(x, mode="train")
    assert "'tensor', 'loss', 'predict'" in str(err.value) and "'train'" in str(err.value)


def test_default_mode_and_freeze_module():
    model = _Classifier(tiny_backbone_cfg(), tiny_neck_cfg())
    x = tiny_images(2, 3, 32)
    assert model(x).shape == (2, 3)  # 'tensor' without a mode, as mmengine's BaseModel
    model.default_mode = "predict"  # as a tracker sets it
    assert model(x, _samples())[0].pred_score.shape == (3,)
    model.train()
    model.freeze_module("backbone")
    assert not model.backbone.training and model.neck.training
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.neck.parameters())


def test_extract_feat_without_neck_and_with_built_modules():
    backbone = MODELS.build(tiny_backbone_cfg())
    model = _Classifier(backbone)
    assert model.backbone is backbone and not model.with_neck
    assert [f.shape[1] for f in model.extract_feat(tiny_images(2, 3, 32))] == [8, 16, 32, 64]


def test_data_preprocessor_from_config_through_our_registry():
    model = _Classifier(
        tiny_backbone_cfg(),
        data_preprocessor=dict(type="ImgDataPreprocessor", mean=[1, 2, 3], std=[2, 2, 2]),
    )
    assert type(model.data_preprocessor).__name__ == "ImgDataPreprocessor"
    default = _Classifier(tiny_backbone_cfg())
    assert type(default.data_preprocessor).__name__ == "BaseDataPreprocessor"


def test_trunk_channel_mismatch_fails_at_build():
    neck = dict(type="FPN", in_channels=[16, 32, 64, 128], out_channels=16, num_outs=4)
    with pytest.raises(ValueError, match=r"\[16, 32, 64, 128\].*\[8, 16, 32, 64\]"):
        _Classifier(tiny_backbone_cfg(), neck)


def test_train_step_updates_weights():
    from mmengine.optim import OptimWrapper

    model = _Classifier(tiny_backbone_cfg(), tiny_neck_cfg())
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = model.head.fc.weight.detach().clone()
    log_vars = model.train_step(
        dict(inputs=tiny_images(2, 3, 32), data_samples=_samples()), wrapper
    )
    assert "loss" in log_vars
    assert not torch.equal(before, model.head.fc.weight)


def test_abstract_bases_cannot_be_instantiated():
    with pytest.raises(TypeError):
        BaseTaskModel()
    with pytest.raises(TypeError):
        BaseHead()


def test_channels_last_training_batches_and_the_narrow_conv_guard():
    """``channels_last=True``: training batches come out channels-last, inference ones as
    they were; a model with a narrow 1x1 strided convolution (whose channels-last backward
    crashes oneDNN) gets them back in NCHW order, with a warning naming the layer."""
    preprocessor = dict(type="BatchImgDataPreprocessor", channels_last=True)
    data = dict(inputs=[torch.rand(3, 32, 32) for _ in range(2)], data_samples=_samples())
    seen = []

    class _Spy(_Classifier):
        def loss(self, inputs, data_samples):
            seen.append(inputs.is_contiguous(memory_format=torch.channels_last))
            return super().loss(inputs, data_samples)

    wide = dict(type="ResNet", depth=18, base_channels=16, norm_eval=False)
    model = _Spy(wide, data_preprocessor=preprocessor)
    model.head = _PoolHead(128, 3)
    batch = model.data_preprocessor(data, True)
    assert batch["inputs"].is_contiguous(memory_format=torch.channels_last)
    assert batch["inputs"].is_contiguous() is False
    assert model.data_preprocessor(data, False)["inputs"].is_contiguous()
    model(**batch, mode="loss")["loss_cls"].backward()
    narrow = _Spy(tiny_backbone_cfg(), data_preprocessor=preprocessor)  # 8 -> 16, 1x1 stride 2
    narrow(**narrow.data_preprocessor(data, True), mode="loss")["loss_cls"].backward()
    assert seen == [True, False]
    assert narrow._narrow_strided_convs == ["backbone.layer2.0.downsample.0"]
    with pytest.raises(TypeError, match="channels_last must be True or False"):
        build_component(dict(type="BatchImgDataPreprocessor", channels_last=None))
