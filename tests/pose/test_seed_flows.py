"""The flows of the "implement a new model" guide: a user backbone on ``BaseBackbone``, a user
head on ``BaseHead`` whose ``predict()`` decodes with a codec, and the ``VisPredictHead`` config."""

from __future__ import annotations

import numpy as np
import torch
from mmengine.structures import InstanceData, PixelData
from torch import nn

from visionbox.core.models import BaseBackbone, BaseHead
from visionbox.pose.registry import KEYPOINT_CODECS, MODELS
from visionbox.pose.structures import PoseDataSample

K = 17


@MODELS.register_module()
class SeedTinyBackbone(BaseBackbone):
    """A user backbone: two strided convs, stride 4."""

    def __init__(self, channels: int = 8) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(3, channels, 3, 2, 1), nn.ReLU(), nn.Conv2d(channels, channels, 3, 2, 1)
        )
        self.out_channels = [channels]

    def forward(self, x):
        return (self.layers(x),)


@MODELS.register_module()
class SeedWideBackbone(BaseBackbone):
    """A cheap stand-in for ResNet-50's last stage: 2048 channels at stride 32."""

    def __init__(self) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(32)
        self.proj = nn.Conv2d(3, 2048, 1)
        self.out_channels = [2048]

    def forward(self, x):
        return (self.proj(self.pool(x)),)


@MODELS.register_module()
class SeedArgmaxHead(BaseHead):
    """A user head whose predict() decodes its heatmaps with a codec."""

    def __init__(self, in_channels: int, out_channels: int, decoder: dict) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1)
        self.decoder = KEYPOINT_CODECS.build(decoder)

    def forward(self, feats):
        return self.conv(feats[-1])

    def loss(self, feats, batch_data_samples, train_cfg=None):
        target = torch.stack([d.gt_fields.heatmaps for d in batch_data_samples])
        return dict(loss_kpt=nn.functional.mse_loss(self.forward(feats), target))

    def predict(self, feats, batch_data_samples, test_cfg=None):
        heatmaps = self.forward(feats).detach().numpy()
        preds = []
        for maps in heatmaps:
            keypoints, scores = self.decoder.decode(maps)
            preds.append(InstanceData(keypoints=keypoints, keypoint_scores=scores))
        return preds


def _samples(codec_cfg, n=2, size=(32, 32)):
    codec = KEYPOINT_CODECS.build(codec_cfg)
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(n):
        kpts = rng.uniform(4, size[0] - 5, (1, K, 2)).astype(np.float32)
        enc = codec.encode(kpts, np.ones((1, K)))
        sample = PoseDataSample(
            metainfo=dict(
                input_size=size,
                input_center=np.array([50.0, 60.0]),
                input_scale=np.array([64.0, 64.0]),
                flip_indices=list(range(K)),
            )
        )
        sample.gt_fields = PixelData(heatmaps=torch.from_numpy(enc["heatmaps"]))
        sample.gt_instance_labels = InstanceData(
            keypoint_weights=torch.from_numpy(enc["keypoint_weights"])
        )
        samples.append(sample)
    return samples


def test_user_backbone_and_user_head_with_a_codec_train_and_predict():
    codec = dict(type="MSRAHeatmap", input_size=(32, 32), heatmap_size=(8, 8), sigma=1.0)
    model = MODELS.build(
        dict(
            type="TopdownPoseEstimator",
            backbone=dict(type="SeedTinyBackbone", channels=8),
            head=dict(type="SeedArgmaxHead", in_channels=8, out_channels=K, decoder=codec),
        )
    )
    samples = _samples(codec)
    inputs = torch.rand(2, 3, 32, 32)
    losses = model(inputs, samples, mode="loss")
    losses["loss_kpt"].backward()
    assert model.backbone.layers[0].weight.grad is not None
    model.eval()
    out = model(inputs, samples, mode="predict")
    kpts = out[0].pred_instances.keypoints
    assert kpts.shape == (1, K, 2)
    # Decoded in the 32x32 input by the user's codec, mapped onto the 64x64 box at (50, 60).
    with torch.no_grad():
        maps = model.head.forward(model.extract_feat(inputs))[0].numpy()
    decoded, _ = KEYPOINT_CODECS.build(codec).decode(maps)
    np.testing.assert_allclose(kpts, decoded * 2 + np.array([50.0 - 32, 60.0 - 32]), rtol=1e-5)


def test_the_vis_predict_head_config_of_the_guide():
    codec = dict(type="MSRAHeatmap", input_size=(64, 64), heatmap_size=(16, 16), sigma=2)
    model = MODELS.build(
        dict(
            type="TopdownPoseEstimator",
            backbone=dict(type="SeedWideBackbone"),
            head=dict(
                type="VisPredictHead",
                loss=dict(
                    type="BCELoss", use_target_weight=True, use_sigmoid=True, loss_weight=1e-3
                ),
                pose_cfg=dict(
                    type="HeatmapHead",
                    in_channels=2048,
                    out_channels=17,
                    loss=dict(type="KeypointMSELoss", use_target_weight=True),
                    decoder=codec,
                ),
            ),
            test_cfg=dict(flip_test=True),
        )
    )
    assert isinstance(model.head.vis_head[-1], nn.Sigmoid)
    assert "head.pose_head.final_layer.weight" in model.state_dict()
    assert "head.vis_head.2.weight" in model.state_dict()
    samples = _samples(codec, n=2, size=(64, 64))
    inputs = torch.rand(2, 3, 64, 64)
    losses = model(inputs, samples, mode="loss")
    assert set(losses) >= {"loss_vis", "acc_vis", "loss_kpt", "acc_pose"}
    model.eval()
    with torch.no_grad():
        out = model(inputs, samples, mode="predict")
    vis = out[0].pred_instances.keypoints_visible
    assert vis.shape == (1, 17) and ((vis >= 0) & (vis <= 1)).all()
