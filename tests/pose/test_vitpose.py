"""ViTPose: the mmpose 1.3 configs' sizes and keys, mmpose's layer-wise lr decay constructor, and
the tiny-ViT Shapes demo (slow)."""

from __future__ import annotations

import os.path as osp
import time

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.engine import load_config, test, train
from visionbox.pose.engine import LayerDecayOptimWrapperConstructor
from visionbox.pose.registry import MODELS

POSE_CONFIGS = osp.join(
    osp.dirname(__file__), "..", "..", "packages/pose/src/visionbox/pose/configs"
)
CONFIGS = osp.join(POSE_CONFIGS, "body_2d_keypoint/topdown_heatmap/coco")
DEMO = osp.join(POSE_CONFIGS, "shapes/td-hm_vit-tiny_shapes-96x128.py")
VITPOSE = {
    "td-hm_ViTPose-small_8xb64-210e_coco-256x192.py": (24_290_193, 384),
    "td-hm_ViTPose-base_8xb64-210e_coco-256x192.py": (89_993_745, 768),
}
TINY_BACKBONE = dict(
    type="VisionTransformer",
    arch=dict(embed_dims=16, num_layers=3, num_heads=2, feedforward_channels=32),
    img_size=(64, 48),
    patch_size=16,
    with_cls_token=False,
    out_type="featmap",
    patch_cfg=dict(padding=2),
)


@pytest.mark.parametrize("name", list(VITPOSE))
def test_vitpose_has_mmpose_parameter_count_and_keys(name):
    expected, width = VITPOSE[name]
    cfg = load_config(osp.join(CONFIGS, name))
    with torch.device("meta"):
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) == expected
    state = model.state_dict()
    assert tuple(state["backbone.pos_embed"].shape) == (1, 16 * 12, width)
    for key in [
        "backbone.patch_embed.projection.weight",
        "backbone.layers.11.attn.qkv.weight",
        "backbone.layers.11.ffn.layers.0.0.weight",
        "backbone.ln1.weight",
        "head.deconv_layers.0.weight",
        "head.deconv_layers.4.running_var",
        "head.final_layer.weight",
    ]:
        assert key in state, key
    assert "backbone.cls_token" not in state


def _mmpose_groups(model, lr, wd, num_layers, rate):
    """A transcription of mmpose 1.3's LayerDecayOptimWrapperConstructor.add_params."""
    total = num_layers + 2
    groups = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if len(param.shape) == 1 or name.endswith(".bias") or "pos_embed" in name:
            kind, decay = "no_decay", 0.0
        else:
            kind, decay = "decay", wd
        tokens = ("backbone.cls_token", "backbone.mask_token", "backbone.pos_embed")
        if name in tokens or name.startswith("backbone.patch_embed"):
            layer = 0
        elif name.startswith("backbone.layers"):
            layer = int(name.split(".")[2]) + 1
        else:
            layer = total - 1
        group = groups.setdefault(
            f"layer_{layer}_{kind}",
            dict(weight_decay=decay, lr=rate ** (total - layer - 1) * lr, names=[]),
        )
        group["names"].append(name)
    return groups


def _tiny_vitpose():
    cfg = load_config(osp.join(CONFIGS, "td-hm_ViTPose-small_8xb64-210e_coco-256x192.py"))
    cfg.model.backbone = TINY_BACKBONE
    cfg.model.head.in_channels = 16
    cfg.model.head.deconv_out_channels = (8, 8)
    return cfg, MODELS.build(cfg.model)


def test_layer_decay_groups_equal_mmpose():
    cfg, model = _tiny_vitpose()
    model.backbone.layers[0].ln1.weight.requires_grad = False  # frozen: left out
    with DefaultScope.overwrite_default_scope("pose"):
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    expected = _mmpose_groups(model, lr=5e-4, wd=0.1, num_layers=12, rate=0.8)
    got = {g["group_name"]: g for g in wrapper.optimizer.param_groups}
    assert set(got) == set(expected)
    for name, group in expected.items():
        assert got[name]["param_names"] == group["names"], name
        assert got[name]["lr"] == pytest.approx(group["lr"]), name
        assert got[name]["weight_decay"] == group["weight_decay"], name
    # the head learns at the full rate, the patch embedding at 0.8 ** 13 of it
    assert got["layer_13_decay"]["lr"] == pytest.approx(5e-4)
    assert got["layer_0_decay"]["lr"] == pytest.approx(5e-4 * 0.8**13)
    assert "backbone.ln1.weight" in got["layer_13_no_decay"]["param_names"]
    assert "backbone.layers.0.ln1.weight" not in sum((g["param_names"] for g in got.values()), [])


def test_layer_decay_rejects_bad_paramwise_cfg():
    optim = dict(optimizer=dict(type="AdamW", lr=1e-3, weight_decay=0.1))
    with pytest.raises(KeyError, match="unknown paramwise_cfg keys \\['decay_rate'\\]"):
        LayerDecayOptimWrapperConstructor(optim, dict(num_layers=12, decay_rate=0.8))
    with pytest.raises(ValueError, match="needs paramwise_cfg.num_layers"):
        LayerDecayOptimWrapperConstructor(optim, dict(layer_decay_rate=0.8))
    with pytest.raises(ValueError, match=r"layer_decay_rate must be in \(0, 1\]"):
        LayerDecayOptimWrapperConstructor(optim, dict(num_layers=12, layer_decay_rate=1.5))


def test_tiny_vitpose_heatmaps_reach_every_parameter():
    cfg, model = _tiny_vitpose()
    model.init_weights()
    feats = model.extract_feat(torch.randn(2, 3, 64, 48))
    assert feats[0].shape == (2, 16, 4, 3)
    heatmaps = model.head.forward(feats)
    assert heatmaps.shape == (2, 17, 16, 12)
    heatmaps.mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing


def _demo_on(data_root: str, **options):
    cfg = load_config(DEMO, cfg_options=options or None)
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = data_root
        loader.dataset.metainfo = dict(from_file=osp.join(data_root, "dataset_info.py"))
    for metric in cfg.val_evaluator:
        if metric.type == "CocoMetric":
            metric.ann_file = osp.join(data_root, "annotations/keypoints_val.json")
    cfg.test_evaluator = cfg.val_evaluator
    return cfg


@pytest.mark.slow
def test_shapes_demo_reaches_coco_ap_0_5(tmp_path):
    """The tiny ViTPose from scratch on VisionBox Shapes (1200 iterations): COCO AP >= 0.5."""
    data_root = str(tmp_path / "shapes_pose")
    make_shapes("pose", data_root, seed=0)
    cfg = _demo_on(data_root)
    work_dir = str(tmp_path / "work")
    start = time.process_time()
    train(cfg, work_dir=work_dir)
    metrics = test(cfg, osp.join(work_dir, "iter_1200.pth"), work_dir=work_dir)
    print(f"ViTPose demo: AP {metrics['coco/AP']:.3f}, CPU {time.process_time() - start:.0f} s")
    assert metrics["coco/AP"] >= 0.5
