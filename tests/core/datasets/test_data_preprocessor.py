"""BatchImgDataPreprocessor: padding, normalisation, channel order and batch geometry."""

from __future__ import annotations

import torch
from mmengine.structures import InstanceData, PixelData

from visionbox.core.registry import MODELS
from visionbox.core.structures import BaseDataSample, BitmapMasks


def test_batch_padding_normalisation_and_metainfo():
    pre = MODELS.build(
        dict(
            type="BatchImgDataPreprocessor",
            mean=[10, 20, 30],
            std=[2, 4, 8],
            bgr_to_rgb=True,
            pad_size_divisor=16,
            pad_value=0,
            pad_seg=True,
            pad_mask=True,
        )
    )
    imgs = [
        torch.full((3, 20, 30), 50, dtype=torch.uint8),
        torch.full((3, 33, 17), 90, dtype=torch.uint8),
    ]
    imgs[0][0] = 0  # the B channel, which must become the last channel
    samples = []
    for img in imgs:
        s = BaseDataSample()
        h, w = img.shape[-2:]
        s.gt_sem_seg = PixelData(data=torch.ones(1, h, w, dtype=torch.long))
        s.gt_instances = InstanceData(masks=BitmapMasks(torch.ones(1, h, w).numpy(), h, w))
        samples.append(s)
    out = pre(dict(inputs=imgs, data_samples=samples), training=True)
    inputs = out["inputs"]
    assert inputs.shape == (2, 3, 48, 32)
    assert torch.allclose(
        inputs[0, :, 0, 0], torch.tensor([(50 - 10) / 2, (50 - 20) / 4, (0 - 30) / 8])
    )
    # the padded area holds pad_value (after normalisation, as in mmengine)
    assert inputs[0, :, 40, 31].eq(0).all() and inputs[0, :, 19, 29].ne(0).all()
    metas = [s.metainfo for s in out["data_samples"]]
    assert metas[0]["batch_input_shape"] == metas[1]["batch_input_shape"] == (48, 32)
    assert metas[0]["pad_shape"] == (32, 32) and metas[1]["pad_shape"] == (48, 32)
    seg = out["data_samples"][0].gt_sem_seg.data
    assert seg.shape == (1, 48, 32) and seg[0, 30, 0] == 255 and seg[0, 0, 0] == 1
    assert out["data_samples"][1].gt_instances.masks.to_ndarray().shape == (1, 48, 32)


def test_stacked_input_and_no_samples():
    pre = MODELS.build(dict(type="BatchImgDataPreprocessor", pad_size_divisor=32))
    out = pre(dict(inputs=torch.zeros(2, 3, 40, 40)))
    assert out["inputs"].shape == (2, 3, 64, 64) and out["data_samples"] is None
