"""YOLOX: SimOTA on a hand-worked case, head losses on empty and non-empty ground truth, the
gradient contract, mmdetection's parameter counts and keys, configs, the mode-switch hook, the
EMA schedule and the quadratic warm-up."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.structures import InstanceData

from visionbox.core.testing import assert_all_params_have_grad
from visionbox.detection.registry import HOOKS, MODELS, PARAM_SCHEDULERS, TASK_UTILS

from .conftest import load_cfg, make_samples

YOLOX_S = "yolox/yolox_s_8xb8-300e_coco.py"


def _num_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def tiny_yolox_cfg(num_classes: int = 3):
    cfg = load_cfg(YOLOX_S).model
    cfg.backbone.update(deepen_factor=0.33, widen_factor=0.125)
    cfg.neck.update(in_channels=[32, 64, 128], out_channels=16)
    cfg.bbox_head.update(in_channels=16, feat_channels=16, num_classes=num_classes)
    cfg.data_preprocessor.batch_augments = None
    return cfg


def _batch(model, samples, size=64):
    images = [torch.randint(0, 255, (3, size, size), dtype=torch.uint8) for _ in samples]
    return model.data_preprocessor(dict(inputs=images, data_samples=samples), True)


# SimOTA ----------------------------------------------------------------------------------------


def test_sim_ota_hand_worked_case():
    """One box [0, 0, 16, 16]; priors (centres, stride 8) and predicted boxes:

    ====  ==========  ======================  =====  ===============================
    prior centre      predicted box           IoU    note
    ====  ==========  ======================  =====  ===============================
    p0    (4, 4)      [0, 0, 16, 16]          1      in box and centre region
    p1    (12, 4)     [0, 0, 8, 16]           0.5    in box and centre region
    p2    (4, 12)     [0, 0, 16, 4]           0.25   in box and centre region
    p3    (12, 12)    [4, 4, 16, 16]          0.5625 in box and centre region
    p4    (40, 40)    [0, 0, 16, 16]          -      outside both: not a candidate
    p5    (20, 8)     [0, 0, 16, 16]          1      centre region only: cost + INF
    ====  ==========  ======================  =====  ===============================

    dynamic k = int(1 + 0.5 + 0.25 + 0.5625 + 1) = 3 (p4 is no candidate). The scores are all
    equal, so the cost orders by IoU: p0, p3, p1 are positive; p2 loses to them and p5, despite
    its IoU of 1, is outside the box.
    """
    priors = torch.tensor(
        [[4, 4], [12, 4], [4, 12], [12, 12], [40, 40], [20, 8]], dtype=torch.float32
    )
    priors = torch.cat([priors, torch.full((6, 2), 8.0)], 1)
    boxes = torch.tensor(
        [
            [0, 0, 16, 16],
            [0, 0, 8, 16],
            [0, 0, 16, 4],
            [4, 4, 16, 16],
            [0, 0, 16, 16],
            [0, 0, 16, 16],
        ],
        dtype=torch.float32,
    )
    assigner = TASK_UTILS.build(dict(type="SimOTAAssigner", center_radius=2.5))
    result = assigner.assign(
        InstanceData(priors=priors, bboxes=boxes, scores=torch.full((6, 2), 0.5)),
        InstanceData(bboxes=torch.tensor([[0.0, 0.0, 16.0, 16.0]]), labels=torch.tensor([1])),
    )
    assert result.gt_inds.tolist() == [1, 1, 0, 1, 0, 0]
    assert result.labels.tolist() == [1, 1, -1, 1, -1, -1]
    pos = result.max_overlaps[[0, 1, 3]]
    assert torch.allclose(pos, torch.tensor([1.0, 0.5, 0.5625]))
    assert (result.max_overlaps[[2, 4, 5]] < -1000).all()


def test_dynamic_k_matching_resolves_shared_candidates_by_cost():
    from visionbox.detection.models.task_modules.assigners.sim_ota_assigner import (
        dynamic_k_matching,
    )

    # k = (int(0.9 + 0.6 + 0.5 + 0.1), int(0.5 + 0.4)) clamped = (2, 1).
    cost = torch.tensor([[1.0, 0.5], [3.0, 1.0], [2.0, 5.0], [4.0, 4.0]])
    ious = torch.tensor([[0.9, 0.5], [0.6, 0.4], [0.5, 0.0], [0.1, 0.0]])
    matched, gt_inds, matched_ious = dynamic_k_matching(cost, ious, candidate_topk=10)
    # box 0 takes rows 0 and 2, box 1 takes row 0; row 0 is cheaper for box 1.
    assert matched.tolist() == [True, False, True, False]
    assert gt_inds.tolist() == [1, 0]
    assert matched_ious.tolist() == [0.5, 0.5]


def _loop_dynamic_k(cost, ious, candidate_topk):
    """Reference: one top-k per box, then the cheapest box for shared candidates."""
    matching = torch.zeros_like(cost, dtype=torch.bool)
    k = ious.topk(min(candidate_topk, len(ious)), dim=0).values.sum(0).int().clamp(min=1)
    for g in range(cost.size(1)):
        matching[cost[:, g].topk(int(k[g]), largest=False).indices, g] = True
    for v in range(cost.size(0)):
        if matching[v].sum() > 1:
            matching[v] = False
            matching[v, cost[v].argmin()] = True
    return matching


@pytest.mark.parametrize("seed", range(5))
def test_dynamic_k_matching_equals_a_loop_over_boxes(seed):
    from visionbox.detection.models.task_modules.assigners.sim_ota_assigner import (
        dynamic_k_matching,
    )

    gen = torch.Generator().manual_seed(seed)
    cost = torch.rand(40, 6, generator=gen) * 10
    ious = torch.rand(40, 6, generator=gen)
    matched, gt_inds, matched_ious = dynamic_k_matching(cost, ious, candidate_topk=10)
    ref = _loop_dynamic_k(cost, ious, 10)
    assert torch.equal(matched, ref.any(1))
    assert torch.equal(gt_inds, ref[ref.any(1)].float().argmax(1))
    assert torch.equal(matched_ious, ious[matched].gather(1, gt_inds[:, None]).squeeze(1))


def test_sim_ota_without_ground_truth_assigns_nothing():
    assigner = TASK_UTILS.build(dict(type="SimOTAAssigner"))
    preds = InstanceData(
        priors=torch.tensor([[4.0, 4.0, 8.0, 8.0]]),
        bboxes=torch.tensor([[0.0, 0.0, 8.0, 8.0]]),
        scores=torch.full((1, 3), 0.5),
    )
    empty = InstanceData(bboxes=torch.zeros((0, 4)), labels=torch.zeros(0, dtype=torch.long))
    result = assigner.assign(preds, empty)
    assert result.gt_inds.tolist() == [0] and result.labels.tolist() == [-1]


# Head and detector -----------------------------------------------------------------------------


def test_head_losses_with_and_without_ground_truth():
    torch.manual_seed(0)
    model = MODELS.build(tiny_yolox_cfg())
    model.init_weights()
    head = model.bbox_head
    feats = model.extract_feat(_batch(model, make_samples(1))["inputs"])
    outs = head(feats)
    metas = [dict(img_shape=(64, 64), pad_shape=(64, 64))]
    empty = InstanceData(bboxes=torch.zeros((0, 4)), labels=torch.zeros(0, dtype=torch.long))
    losses = head.loss_by_feat(*outs, [empty], metas)
    assert losses["loss_obj"] > 0
    assert losses["loss_cls"] == 0 and losses["loss_bbox"] == 0
    gt = make_samples(1)[0].gt_instances
    losses = head.loss_by_feat(*outs, [gt], metas)
    assert losses["loss_cls"] > 0 and losses["loss_bbox"] > 0 and losses["loss_obj"] > 0
    assert "loss_l1" not in losses
    head.use_l1 = True
    with_l1 = head.loss_by_feat(*outs, [gt], metas)
    assert with_l1["loss_l1"] > 0
    assert with_l1["loss_l1"].requires_grad
    assert head.loss_by_feat(*outs, [empty], metas)["loss_l1"] == 0


def test_l1_target_inverts_the_box_decoding():
    from visionbox.detection.models.dense_heads.yolox_head import YOLOXHead

    priors = torch.tensor([[8.0, 16.0, 8.0, 8.0], [32.0, 0.0, 16.0, 16.0]])
    gt = torch.tensor([[2.0, 10.0, 30.0, 22.0], [20.0, 4.0, 60.0, 44.0]])
    target = YOLOXHead._get_l1_target(gt, priors)
    assert torch.allclose(YOLOXHead._bbox_decode(priors, target), gt, atol=1e-4)


@pytest.mark.parametrize("use_l1", [False, True])
def test_every_parameter_gets_a_gradient(use_l1):
    torch.manual_seed(0)
    model = MODELS.build(tiny_yolox_cfg())
    model.init_weights()
    model.bbox_head.use_l1 = use_l1
    losses = model(**_batch(model, make_samples(2)), mode="loss")
    expected = {"loss_cls", "loss_bbox", "loss_obj"} | ({"loss_l1"} if use_l1 else set())
    assert set(losses) == expected
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert_all_params_have_grad(model)


def test_dcn_on_last_conv_uses_a_modulated_deformable_conv():
    cfg = tiny_yolox_cfg()
    cfg.bbox_head.dcn_on_last_conv = True
    model = MODELS.build(cfg)
    last = model.bbox_head.multi_level_reg_convs[0][-1].conv
    assert type(last).__name__ == "ModulatedDeformConv2dPack"  # registered as DCNv2, as in mmcv
    assert "bbox_head.multi_level_cls_convs.1.1.conv.conv_offset.weight" in model.state_dict()
    losses = model(**_batch(model, make_samples(1)), mode="loss")
    sum(losses.values()).backward()
    assert_all_params_have_grad(model)


def test_every_parameter_gets_a_gradient_on_images_without_boxes():
    model = MODELS.build(tiny_yolox_cfg())
    samples = make_samples(2, boxes=torch.zeros((0, 4)), labels=torch.zeros(0, dtype=torch.long))
    losses = model(**_batch(model, samples), mode="loss")
    assert losses["loss_cls"] == 0 and losses["loss_bbox"] == 0 and losses["loss_obj"] > 0
    sum(losses.values()).backward()
    assert_all_params_have_grad(model)


def test_predict_rescales_and_thresholds():
    torch.manual_seed(0)
    model = MODELS.build(tiny_yolox_cfg()).eval()
    samples = make_samples(2)
    for s in samples:
        s.set_metainfo(dict(scale_factor=(0.5, 0.5)))
    data = _batch(model, samples)
    with torch.no_grad():
        feats = model.extract_feat(data["inputs"])
        raw = model.bbox_head.predict(feats, data["data_samples"], rescale=False)
        rescaled = model(**data, mode="predict")
        outs = model(data["inputs"], mode="tensor")
    assert len(outs) == 3 and outs[0][0].shape == (2, 3, 8, 8)
    a, b = raw[0], rescaled[0].pred_instances
    assert len(a) == len(b) > 0 and (a.scores >= 0.01).all()
    assert torch.allclose(b.bboxes, a.bboxes * 2)


def test_batch_sync_random_resize_scales_boxes():
    from mmengine.logging import MessageHub

    MessageHub.get_current_instance().update_info("iter", 0)
    aug = MODELS.build(dict(type="BatchSyncRandomResize", random_size_range=(32, 32), interval=1))
    samples = make_samples(1)
    inputs, samples = aug(torch.zeros(1, 3, 64, 64), samples)
    assert inputs.shape[-2:] == (64, 64)  # the first batch keeps its size, then a size is drawn
    inputs, samples = aug(torch.zeros(1, 3, 64, 64), samples)
    assert inputs.shape[-2:] == (32, 32)
    assert samples[0].gt_instances.bboxes[0].tolist() == [2.0, 3.0, 20.0, 22.0]
    assert samples[0].img_shape == (32, 32) and samples[0].batch_input_shape == (32, 32)


# Sizes, keys and configs -------------------------------------------------------------------------


def test_yolox_s_has_mmdetection_size_and_keys():
    model = MODELS.build(load_cfg(YOLOX_S).model)
    assert _num_params(model) == 8_968_255
    keys = set(model.state_dict())
    for key in (
        "backbone.stem.conv.conv.weight",
        "backbone.stage4.1.conv2.bn.running_mean",
        "neck.reduce_layers.0.conv.weight",
        "neck.top_down_blocks.1.blocks.0.conv2.conv.weight",
        "neck.downsamples.1.bn.weight",
        "neck.bottom_up_blocks.0.final_conv.conv.weight",
        "neck.out_convs.2.conv.weight",
        "bbox_head.multi_level_cls_convs.0.1.conv.weight",
        "bbox_head.multi_level_reg_convs.2.0.bn.bias",
        "bbox_head.multi_level_conv_cls.0.weight",
        "bbox_head.multi_level_conv_reg.1.bias",
        "bbox_head.multi_level_conv_obj.2.weight",
    ):
        assert key in keys, key
    # The class and objectness biases start at the prior probability 0.01.
    model.init_weights()
    prior = -math.log(99)
    assert torch.allclose(model.bbox_head.multi_level_conv_obj[0].bias, torch.tensor(prior))


@pytest.mark.parametrize(
    ("name", "count"),
    [
        # The published sizes are 0.91M, 5.06M, 25.3M and 54.2M parameters.
        ("yolox/yolox_nano_8xb8-300e_coco.py", 912_159),
        ("yolox/yolox_tiny_8xb8-300e_coco.py", 5_055_855),
        ("yolox/yolox_m_8xb8-300e_coco.py", 25_326_495),
        ("yolox/yolox_l_8xb8-300e_coco.py", 54_208_895),
    ],
)
def test_other_sizes(name, count):
    assert _num_params(MODELS.build(load_cfg(name).model)) == count


def test_yolox_config_recipe():
    cfg = load_cfg(YOLOX_S)
    cfg.validate()
    assert cfg.train_dataloader.dataset.type == "MultiImageMixDataset"
    types = [t["type"] for t in cfg.train_pipeline]
    assert types[:4] == ["Mosaic", "RandomAffine", "MixUp", "YOLOXHSVRandomAug"]
    hooks = {h["type"]: h for h in cfg.custom_hooks}
    assert hooks["EMAHook"]["ema_type"] == "ExpMomentumEMA"
    assert hooks["YOLOXModeSwitchHook"]["num_last_epochs"] == 15


# Hooks, EMA and the warm-up ----------------------------------------------------------------------


class _Dataset:
    def __init__(self):
        self.skipped = None

    def update_skip_type_keys(self, keys):
        self.skipped = keys


def _runner(model, epoch, max_epochs=10):
    loader = SimpleNamespace(dataset=_Dataset(), persistent_workers=False)
    logger = SimpleNamespace(info=lambda msg: None)
    return SimpleNamespace(
        model=model, epoch=epoch, max_epochs=max_epochs, train_dataloader=loader, logger=logger
    )


def test_mode_switch_hook_turns_off_mixing_and_on_l1():
    hook = HOOKS.build(dict(type="YOLOXModeSwitchHook", num_last_epochs=3, priority=48))
    assert hook.priority == 48
    model = MODELS.build(tiny_yolox_cfg())
    runner = _runner(model, epoch=5)
    hook.before_train_epoch(runner)  # epoch 6 of 10: not yet
    assert runner.train_dataloader.dataset.skipped is None and not model.bbox_head.use_l1
    runner.epoch = 6  # epoch 7 of 10: the last 3 epochs start after it
    hook.before_train_epoch(runner)
    assert runner.train_dataloader.dataset.skipped == ("Mosaic", "RandomAffine", "MixUp")
    assert model.bbox_head.use_l1
    # A tracking model's detector is switched too.
    tracker_model = torch.nn.Module()
    tracker_model.detector = MODELS.build(tiny_yolox_cfg())
    other = HOOKS.build(dict(type="YOLOXModeSwitchHook", num_last_epochs=1))
    other.before_train_epoch(_runner(tracker_model, epoch=9))
    assert tracker_model.detector.bbox_head.use_l1


def test_sync_norm_hook_is_a_no_op_in_one_process():
    model = MODELS.build(tiny_yolox_cfg())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    HOOKS.build(dict(type="SyncNormHook")).before_val_epoch(SimpleNamespace(model=model))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_exp_momentum_ema_follows_its_schedule():
    net = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(net.weight)
    ema = MODELS.build(dict(type="ExpMomentumEMA", model=net, momentum=0.1, gamma=10))
    with torch.no_grad():
        net.weight.fill_(1.0)
    ema.update_parameters(net)  # the first update copies the weights
    assert ema.module.weight.item() == 1.0
    with torch.no_grad():
        net.weight.fill_(3.0)
    ema.update_parameters(net)  # steps = 1
    m = 0.9 * math.exp(-2 / 10) + 0.1
    assert ema.module.weight.item() == pytest.approx(1.0 * (1 - m) + 3.0 * m)
    with pytest.raises(ValueError, match="gamma"):
        MODELS.build(dict(type="ExpMomentumEMA", model=net, gamma=0))


def test_quadratic_warmup_lr():
    param = torch.nn.Parameter(torch.zeros(1))
    optim = torch.optim.SGD([param], lr=1.0)
    sched = PARAM_SCHEDULERS.build(
        dict(type="QuadraticWarmupLR", optimizer=optim, begin=0, end=4, by_epoch=False)
    )
    seen = []
    for _ in range(5):
        seen.append(optim.param_groups[0]["lr"])
        optim.step()
        sched.step()
    assert seen == pytest.approx([1 / 16, 4 / 16, 9 / 16, 1.0, 1.0])
    with pytest.raises(ValueError, match="end"):
        PARAM_SCHEDULERS.build(dict(type="QuadraticWarmupLR", optimizer=optim))


# The recipe in the runner ----------------------------------------------------------------------

SHAPES_DEMO = "shapes/yolox_tiny_shapes.py"


def _point_at(cfg, root: str) -> None:
    import os

    cfg.train_dataloader.dataset.dataset.data_root = root
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = root
    cfg.val_evaluator.ann_file = os.path.join(root, "annotations/instances_val.json")
    cfg.test_evaluator = cfg.val_evaluator


def test_recipe_runs_in_the_runner_and_switches_mode(tmp_path):
    """Two tiny epochs of the Shapes demo: Mosaic/RandomAffine in the first, the mode switch
    (no mixing, L1 loss) in the second, validation on the EMA weights."""
    import os

    from visionbox.core.datasets.shapes import make_shapes
    from visionbox.core.engine import build_runner, safe_torch_load

    root = str(tmp_path / "shapes")
    make_shapes("detection", root, seed=0, num_train=8, num_val=2)
    cfg = load_cfg(SHAPES_DEMO)
    _point_at(cfg, root)
    cfg.train_dataloader.batch_size = 4
    cfg.train_cfg.max_epochs = cfg.train_cfg.val_interval = 2
    cfg.param_scheduler = [dict(type="QuadraticWarmupLR", by_epoch=False, begin=0, end=2)]
    cfg.custom_hooks[0].num_last_epochs = 1
    cfg.default_hooks.checkpoint.interval = 2
    cfg.default_hooks.logger.interval = 1
    cfg.model.data_preprocessor.batch_augments = None
    cfg.work_dir = str(tmp_path / "work")
    runner = build_runner(cfg, default_scope="detection")
    runner.train()
    assert runner.model.bbox_head.use_l1
    assert runner.train_dataloader.dataset._skip_type_keys == ("Mosaic", "RandomAffine", "MixUp")
    ckpt = safe_torch_load(os.path.join(cfg.work_dir, "epoch_2.pth"))
    assert "module.bbox_head.multi_level_conv_obj.0.bias" in ckpt["ema_state_dict"]
    scalars = runner.message_hub.log_scalars
    assert "train/loss_l1" in scalars and "val/time" in scalars  # validated (on the EMA weights)


@pytest.mark.slow
def test_shapes_demo_reaches_its_map(tmp_path):
    """The README demo: tools/detection/train.py + test.py on the full Shapes set."""
    import json
    import os
    import subprocess
    import sys

    from visionbox.core.datasets.shapes import make_shapes

    from .conftest import repo_path

    repo = repo_path("")
    data = os.path.join(repo, "data", "shapes_det")
    if not os.path.isfile(os.path.join(data, "annotations", "instances_val.json")):
        make_shapes("detection", data, seed=0)
    cfg = repo_path(f"packages/detection/src/visionbox/detection/configs/{SHAPES_DEMO}")
    work = str(tmp_path / "work")
    subprocess.run(
        [sys.executable, "tools/detection/train.py", cfg, "--work-dir", work], cwd=repo, check=True
    )
    ckpt = os.path.join(work, f"epoch_{load_cfg(SHAPES_DEMO).train_cfg.max_epochs}.pth")
    subprocess.run(
        [sys.executable, "tools/detection/test.py", cfg, ckpt, "--work-dir", work],
        cwd=repo,
        check=True,
    )
    with open(os.path.join(work, "metrics.json")) as f:
        assert json.load(f)["coco/bbox_mAP"] >= 0.5
