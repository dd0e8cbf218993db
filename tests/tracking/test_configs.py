"""Every shipped tracking config loads, validates and builds; mmdetection's parameter counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mmengine.registry import init_default_scope

from visionbox.core.config import (
    Config,
    ConfigValidationError,
    resolve_scoped_path,
    validate_config,
)
from visionbox.tracking.registry import MODELS

CONFIG_ROOT = (
    Path(__file__).resolve().parents[2] / "packages/tracking/src/visionbox/tracking/configs"
)
CONFIGS = sorted(p for p in CONFIG_ROOT.rglob("*.py") if "_base_" not in p.parts)
#: mmdetection 3.x's parameter counts of the same configs.
PARAMETERS = {
    "sort_faster-rcnn_r50_fpn_8xb2-4e_mot17halftrain_test-mot17halfval.py": 41_348_181,
    "bytetrack_yolox_x_8xb4-80e_crowdhuman-mot17halftrain_test-mot17halfval.py": 98_995_378,
    "ocsort_yolox_x_8xb4-amp-80e_crowdhuman-mot17halftrain_test-mot17halfval.py": 98_995_378,
}


def _detection_bases(path: Path) -> list[str]:
    """The ``detection::`` bases a config names, directly or through its ``../`` bases."""
    refs = []
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        refs += re.findall(r"[\"'](detection::[^\"']+)[\"']", line)
        if '_base_ = ["../' in line:
            refs += _detection_bases((path.parent / line.split('"')[1]).resolve())
    return refs


def test_configs_are_found():
    names = {p.parent.name for p in CONFIGS}
    assert {"sort", "deepsort", "strongsort", "ocsort", "bytetrack", "reid", "shapes"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_builds(path):
    for ref in _detection_bases(path):
        assert Path(resolve_scoped_path(ref)).is_file(), f"the detection package lacks {ref}"
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == "tracking"
    try:
        validate_config(cfg)
    except ConfigValidationError as err:
        # core's validator checks a detector's sub-modules in the tracking scope instead of the
        # detector's own _scope_ ('detection'); everything outside the detector must be valid.
        outside = [e for e in err.errors if "detector" not in e]
        assert not outside, outside
    init_default_scope("tracking")
    model = MODELS.build(cfg.model)
    if path.name in PARAMETERS:
        assert sum(p.numel() for p in model.parameters()) == PARAMETERS[path.name]
    if "detector" in cfg.model:
        assert cfg.model.detector._scope_ == "detection"


def test_yolox_trackers_take_the_detection_recipe():
    """The ByteTrack config trains its YOLOX-X with the detection package's recipe (types resolved
    in the 'detection' scope) and the detector matches mmdetection's: one class, NMS at 0.7."""
    path = (
        CONFIG_ROOT
        / "bytetrack/bytetrack_yolox_x_8xb4-80e_crowdhuman-mot17halftrain_test-mot17halfval.py"
    )
    cfg = Config.fromfile(str(path))
    detector = cfg.model.detector
    assert detector.type == "YOLOX" and detector.bbox_head.num_classes == 1
    assert detector.test_cfg.nms.iou_threshold == 0.7 and "data_preprocessor" not in detector
    assert cfg.model.data_preprocessor.use_det_processor
    assert cfg.model.data_preprocessor.batch_augments[0]._scope_ == "detection"
    dataset = cfg.train_dataloader.dataset
    assert dataset.type == "MultiImageMixDataset" and dataset._scope_ == "detection"
    assert [t.type for t in dataset.pipeline][:3] == ["Mosaic", "RandomAffine", "MixUp"]
    hooks = {h.type: h for h in cfg.custom_hooks}
    assert hooks["YOLOXModeSwitchHook"].num_last_epochs == 10
    assert hooks["EMAHook"].ema_type == "detection.ExpMomentumEMA"
    assert cfg.param_scheduler[0].type == "QuadraticWarmupLR"
    strongsort = Config.fromfile(
        str(
            CONFIG_ROOT / "strongsort/strongsort_yolox_x_8xb4-80e_crowdhuman-mot17halftrain_"
            "test-mot17halfval.py"
        )
    )
    assert strongsort.train_dataloader is None and strongsort.custom_hooks == []


def test_bytetrack_config_trains_its_yolox_with_the_recipe(tmp_path):
    """The ByteTrack config's training part, shrunk: the tracking runner trains the detection
    package's YOLOX through MultiImageMixDataset, the quadratic warm-up, the mode switch of the
    tracker's detector and the EMA (all resolved in the 'detection' scope)."""
    from visionbox.core.datasets.shapes import make_shapes
    from visionbox.core.engine import build_runner

    root = str(tmp_path / "shapes")
    make_shapes("detection", root, seed=0, num_train=8, num_val=1)
    cfg = Config.fromfile(
        str(
            CONFIG_ROOT / "bytetrack/bytetrack_yolox_x_8xb4-80e_crowdhuman-mot17halftrain_"
            "test-mot17halfval.py"
        )
    )
    det = cfg.model.detector
    det.backbone.update(deepen_factor=0.33, widen_factor=0.125)
    det.neck.update(in_channels=[32, 64, 128], out_channels=16, num_csp_blocks=1)
    det.bbox_head.update(in_channels=16, feat_channels=16)
    det.init_cfg = None
    cfg.model.data_preprocessor.batch_augments[0].random_size_range = (64, 96)
    dataset = cfg.train_dataloader.dataset
    part = dataset.dataset.datasets[0]
    part.update(
        data_root=root,
        ann_file="annotations/instances_train.json",
        data_prefix=dict(img="train/"),
        metainfo=dict(classes=("circle",)),
    )
    dataset.dataset.datasets = [part]
    for transform in dataset.pipeline:
        if "img_scale" in transform:
            transform.img_scale = (96, 96)
        if transform.type == "RandomAffine":
            transform.border = (-48, -48)
        if transform.type == "Resize":
            transform.scale = (96, 96)
    cfg.train_dataloader.update(
        batch_size=4, num_workers=0, persistent_workers=False, pin_memory=False
    )
    cfg.train_cfg = dict(type="EpochBasedTrainLoop", max_epochs=2, val_interval=10)
    cfg.val_dataloader = cfg.test_dataloader = cfg.val_cfg = cfg.test_cfg = None
    cfg.val_evaluator = cfg.test_evaluator = None
    cfg.param_scheduler = [dict(cfg.param_scheduler[0], end=1)]
    cfg.custom_hooks[0].num_last_epochs = 0  # the switch happens before the second epoch
    cfg.default_hooks.checkpoint.interval = 2
    cfg.work_dir = str(tmp_path / "work")
    runner = build_runner(cfg, default_scope="tracking")
    runner.train()
    assert runner.model.detector.bbox_head.use_l1
    assert runner.train_dataloader.dataset._skip_type_keys == ("Mosaic", "RandomAffine", "MixUp")
    assert "train/loss_l1" in runner.message_hub.log_scalars
    hooks = {type(h).__name__: h for h in runner.hooks}
    assert {"YOLOXModeSwitchHook", "SyncNormHook"} <= set(hooks)
    ema = hooks["EMAHook"]
    assert type(ema.ema_model).__name__ == "ExpMomentumEMA"
