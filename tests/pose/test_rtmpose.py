"""RTMPose: mmpose 1.3's parameter counts and keys on core's CSPNeXt, the two-stage recipe in
the configs, and the OpenCV/NumPy ``Albumentation`` transforms (Blur, MedianBlur,
CoarseDropout). The Shapes demo training is @slow."""

from __future__ import annotations

import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch

from visionbox.core.engine import load_config
from visionbox.core.models import CSPNeXt
from visionbox.core.testing import assert_optimized_model_matches
from visionbox.pose.models.heads.utils import flip_vectors
from visionbox.pose.registry import MODELS, TRANSFORMS

ROOT = osp.join(osp.dirname(__file__), "..", "..")
CONFIGS = osp.join(ROOT, "packages/pose/src/visionbox/pose/configs")
RTMPOSE = "body_2d_keypoint/rtmpose/coco/rtmpose-{}_8xb256-420e_coco-256x192.py"


def _num_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("size", "count"),
    [("t", 3_337_007), ("s", 5_473_251), ("m", 13_587_611), ("l", 27_660_339)],
)
def test_rtmpose_has_mmpose_parameter_counts_and_keys(size, count):
    model = MODELS.build(load_config(osp.join(CONFIGS, RTMPOSE.format(size))).model)
    assert isinstance(model.backbone, CSPNeXt)
    assert _num_params(model) == count
    keys = model.state_dict().keys()
    for key in (
        "backbone.stage4.2.attention.fc.weight",
        "head.final_layer.weight",
        "head.mlp.1.weight",
        "head.gau.uv.weight",
        "head.cls_x.weight",
    ):
        assert key in keys


@pytest.mark.parametrize(("size", "decay"), [("t", 0.0), ("s", 0.0), ("m", 0.05), ("l", 0.05)])
def test_rtmpose_sizes_share_one_recipe_with_mmpose_weight_decay(size, decay):
    cfg = load_config(osp.join(CONFIGS, RTMPOSE.format(size)))
    assert cfg.optim_wrapper.optimizer.weight_decay == decay
    assert cfg.optim_wrapper.optimizer.lr == 4e-3 and cfg.train_dataloader.batch_size == 256
    assert cfg.model.head.in_channels == int(1024 * cfg.model.backbone.widen_factor)
    name = "tiny" if size == "t" else size
    assert f"/cspnext-{name}_udp-aic-coco" in cfg.model.backbone.init_cfg.checkpoint
    assert cfg.train_cfg.max_epochs == 420 and cfg.param_scheduler[1].begin == 210


def test_rtmpose_two_stage_recipe():
    cfg = load_config(osp.join(CONFIGS, RTMPOSE.format("m")))
    hooks = {h["type"]: h for h in cfg.custom_hooks}
    assert hooks["EMAHook"]["ema_type"] == "ExpMomentumEMA"
    assert hooks["PipelineSwitchHook"]["switch_epoch"] == 390
    first = [t["type"] for t in cfg.train_pipeline]
    assert first.index("YOLOXHSVRandomAug") < first.index("Albumentation")
    stage2 = hooks["PipelineSwitchHook"]["switch_pipeline"]
    rbt = [t for t in stage2 if t["type"] == "RandomBBoxTransform"][0]
    assert rbt["scale_factor"] == [0.75, 1.25] and rbt["rotate_factor"] == 60
    tiny = load_config(osp.join(CONFIGS, RTMPOSE.format("t")))
    assert [h["type"] for h in tiny.custom_hooks] == ["PipelineSwitchHook"]  # no EMA for -t


def test_rtmpose_shapes_config_inherits_the_recipe_at_its_own_size():
    cfg = load_config(osp.join(CONFIGS, "shapes/rtmpose-t_shapes-96x128.py"))
    hooks = {h["type"]: h for h in cfg.custom_hooks}
    assert hooks["EMAHook"]["ema_type"] == "ExpMomentumEMA"
    assert hooks["PipelineSwitchHook"]["switch_epoch"] == cfg.max_epochs - cfg.stage2_num_epochs
    init = cfg.model.backbone.init_cfg  # from scratch: no COCO checkpoint
    assert init.type == "Kaiming" and "checkpoint" not in init
    for pipeline in (cfg.train_pipeline, hooks["PipelineSwitchHook"]["switch_pipeline"]):
        affine = [t for t in pipeline if t["type"] == "TopdownAffine"][0]
        assert tuple(affine["input_size"]) == (96, 128)
    model = MODELS.build(cfg.model)
    x, y = model(torch.zeros(2, 3, 128, 96), None, mode="tensor")
    assert x.shape == (2, 11, 192) and y.shape == (2, 11, 256)


def test_rtmpose_fast_path_keeps_its_outputs():
    cfg = load_config(osp.join(CONFIGS, "shapes/rtmpose-t_shapes-96x128.py"))
    model = MODELS.build(cfg.model)
    inputs = torch.randn(2, 3, 128, 96, generator=torch.Generator().manual_seed(0))
    assert_optimized_model_matches(model, lambda m: m(inputs, None, mode="tensor"))


def test_rtmpose_through_the_pose_inferencer(tmp_path, monkeypatch):
    from visionbox.core.datasets.shapes import make_shapes
    from visionbox.pose.apis import PoseInferencer

    make_shapes("pose", tmp_path / "data" / "shapes_pose", num_train=1, num_val=1)
    monkeypatch.chdir(tmp_path)  # the config reads data/shapes_pose/dataset_info.py
    image = sorted((tmp_path / "data" / "shapes_pose" / "val").iterdir())[0]
    inferencer = PoseInferencer("pose::shapes/rtmpose-t_shapes-96x128.py", device="cpu")
    person = inferencer(str(image))["predictions"][0][0]
    assert np.asarray(person["keypoints"]).shape == (11, 2)
    assert np.isfinite(person["keypoint_scores"]).all()


def test_simcc_flip_names_the_keypoint_count():
    with pytest.raises(ValueError, match="flip_indices has 17 entries for 11 keypoints"):
        flip_vectors(torch.zeros(1, 11, 8), torch.zeros(1, 11, 8), list(range(17)))


def _results(h=64, w=48):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    kpts = rng.uniform(0, 40, (1, 5, 2)).astype(np.float32)
    return dict(img=img, keypoints=kpts.copy()), kpts


def test_albumentation_blurs_keep_shape_and_keypoints():
    np.random.seed(0)
    results, kpts = _results()
    original = results["img"].copy()
    blur = TRANSFORMS.build(
        dict(
            type="Albumentation",
            transforms=[dict(type="Blur", p=1.0), dict(type="MedianBlur", p=1.0)],
        )
    )
    out = blur(results)
    assert out["img"].shape == original.shape and out["img"].dtype == np.uint8
    assert not np.array_equal(out["img"], original)
    assert out["img"].std() < original.std()  # blurring removes noise
    np.testing.assert_array_equal(out["keypoints"], kpts)
    never = TRANSFORMS.build(dict(type="Albumentation", transforms=[dict(type="Blur", p=0.0)]))
    results, _ = _results()
    np.testing.assert_array_equal(never(results)["img"], original)


@pytest.mark.parametrize("seed", range(5))
def test_coarse_dropout_fills_one_hole_of_the_asked_size(seed):
    np.random.seed(seed)
    h, w = 64, 48
    results = dict(img=np.full((h, w, 3), 200, dtype=np.uint8))
    drop = TRANSFORMS.build(
        dict(
            type="Albumentation",
            transforms=[
                dict(
                    type="CoarseDropout",
                    max_holes=1,
                    max_height=0.4,
                    max_width=0.4,
                    min_holes=1,
                    min_height=0.2,
                    min_width=0.2,
                    p=1.0,
                )
            ],
        )
    )
    img = drop(results)["img"]
    ys, xs = np.nonzero((img == 0).all(-1))
    hole_h, hole_w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    assert len(ys) == hole_h * hole_w  # one filled rectangle
    assert int(0.2 * h) <= hole_h <= int(0.4 * h) and int(0.2 * w) <= hole_w <= int(0.4 * w)


def test_albumentation_names_the_transforms_it_implements():
    with pytest.raises(ValueError, match="unsupported transform 'MedianBlurr'.*MedianBlur"):
        TRANSFORMS.build(dict(type="Albumentation", transforms=[dict(type="MedianBlurr")]))
    with pytest.raises(ValueError, match="blur_limit"):
        TRANSFORMS.build(dict(type="Albumentation", transforms=[dict(type="Blur", blur_limit=4)]))


@pytest.mark.slow
def test_rtmpose_shapes_demo_reaches_its_pck(tmp_path):
    """tools/pose/train.py + test.py of the RTMPose-t Shapes demo: PCK@0.05 >= 0.8."""
    from visionbox.core.datasets.shapes import make_shapes

    repo = osp.abspath(ROOT)
    data = osp.join(repo, "data", "shapes_pose")
    if not osp.isfile(osp.join(data, "annotations", "keypoints_val.json")):
        make_shapes("pose", data, seed=0)
    cfg = osp.join(CONFIGS, "shapes/rtmpose-t_shapes-96x128.py")
    work = str(tmp_path / "work")
    subprocess.run(
        [sys.executable, "tools/pose/train.py", cfg, "--work-dir", work], cwd=repo, check=True
    )
    epochs = load_config(cfg).train_cfg.max_epochs
    subprocess.run(
        [
            sys.executable,
            "tools/pose/test.py",
            cfg,
            osp.join(work, f"epoch_{epochs}.pth"),
            "--work-dir",
            work,
        ],
        cwd=repo,
        check=True,
    )
    with open(osp.join(work, "metrics.json")) as f:
        assert json.load(f)["PCK"] >= 0.8
