"""SegFormer: the mmseg 1.2 ADE20K configs' sizes and keys, a forward/backward of a tiny one, and
the Shapes demo (slow).

The shipped models are built on the ``meta`` device (shapes without memory or initialisation).
"""

from __future__ import annotations

import os.path as osp
import time
import warnings

import pytest
import torch
from mmengine.structures import PixelData

from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.engine import load_config, test, train
from visionbox.segmentation.registry import MODELS
from visionbox.segmentation.structures import SegDataSample

CONFIGS = osp.join(
    osp.dirname(__file__), "..", "..", "packages/segmentation/src/visionbox/segmentation/configs"
)
# mmsegmentation 1.2's parameter counts of segformer/segformer_mit-b*_8xb2-160k_ade20k-512x512.py
SEGFORMER = {"b0": 3_753_718, "b1": 13_716_822, "b2": 24_761_686, "b3": 44_637_526,
             "b4": 61_408_086, "b5": 82_008_406}  # fmt: skip


def _config(b: str):
    return load_config(
        osp.join(CONFIGS, f"segformer/segformer_mit-{b}_8xb2-160k_ade20k-512x512.py")
    )


@pytest.mark.parametrize("b", list(SEGFORMER))
def test_segformer_has_mmseg_parameter_count_and_keys(b):
    cfg = _config(b)
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")  # SyncBN -> BN in one process
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) == SEGFORMER[b]
    state = model.state_dict()
    depths = list(cfg.model.backbone.num_layers)
    last = f"backbone.layers.2.1.{depths[2] - 1}"
    for key in [
        "backbone.layers.0.0.projection.weight",
        "backbone.layers.0.1.0.attn.attn.in_proj_weight",
        "backbone.layers.0.1.0.attn.sr.weight",
        f"{last}.ffn.layers.1.weight",
        "backbone.layers.3.2.bias",
        "decode_head.convs.3.conv.weight",
        "decode_head.fusion_conv.bn.running_var",
        "decode_head.conv_seg.weight",
    ]:
        assert key in state, key
    assert f"backbone.layers.2.1.{depths[2]}.norm1.weight" not in state
    assert model.decode_head.num_classes == 150
    assert model.backbone.out_channels == list(cfg.model.decode_head.in_channels)


def test_tiny_segformer_loss_reaches_every_parameter():
    cfg = _config("b0")
    cfg.model.backbone.update(embed_dims=8, num_heads=[1, 1, 2, 2])
    cfg.model.decode_head.update(in_channels=[8, 8, 16, 16], channels=16, num_classes=3)
    cfg.model.decode_head.norm_cfg = dict(type="BN", requires_grad=True)
    cfg.model.data_preprocessor.size = (64, 64)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.manual_seed(0)
    samples = []
    for _ in range(2):
        sample = SegDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 3, (1, 64, 64)))
        samples.append(sample)
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8)] * 2,
             data_samples=samples),
        training=True,
    )  # fmt: skip
    losses = model(**data, mode="loss")
    loss = sum(v for k, v in losses.items() if "loss" in k)
    assert loss.item() > 0
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing


DEMO = osp.join(CONFIGS, "shapes/segformer_mit-b0_shapes-256x256.py")


@pytest.mark.slow
def test_shapes_demo_reaches_miou_75(tmp_path):
    """SegFormer MiT-b0 from scratch on VisionBox Shapes (600 iterations): mIoU >= 75."""
    root = str(tmp_path / "shapes_seg") + "/"
    make_shapes("segmentation", root, seed=0)
    cfg = load_config(DEMO)
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = root
    work_dir = str(tmp_path / "work")
    start = time.process_time()
    train(cfg, work_dir=work_dir)
    metrics = test(cfg, osp.join(work_dir, "iter_600.pth"), work_dir=work_dir)
    print(f"SegFormer demo: mIoU {metrics['mIoU']:.2f}, CPU {time.process_time() - start:.0f} s")
    assert metrics["mIoU"] >= 75.0
