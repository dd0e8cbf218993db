"""Validation of a whole config against the registries before anything is built."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pytest

from visionbox.core.config import Config, ConfigValidationError, validate_config
from visionbox.core.registry import DATASETS, METRICS, MODELS, TASK_UTILS, TRANSFORMS


@MODELS.register_module(force=True)
class VBCfgTestBackbone:
    def __init__(
        self,
        depth: int = 50,
        out_indices: Sequence[int] = (0, 1, 2, 3),
        style: Literal["pytorch", "caffe"] = "pytorch",
        drop_rate: float = 0.0,
        with_cp: bool = False,
        norm_cfg: dict | None = None,
        frozen_stages=-1,
        plugin: NotDefinedAnywhere | None = None,  # noqa: F821 - an unresolvable forward reference
        init_cfg: dict | None = None,
    ) -> None:
        self.depth = depth


@MODELS.register_module(force=True)
class VBCfgTestHead:
    def __init__(self, num_classes: int, loss_cls: dict, bbox_coder: dict | None = None) -> None:
        self.num_classes = num_classes


@MODELS.register_module(force=True)
class VBCfgTestDetector:
    def __init__(
        self,
        backbone: dict,
        bbox_head: dict | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
    ) -> None:
        self.backbone = backbone


@MODELS.register_module(force=True)
class VBCfgTestLoss:
    def __init__(self, loss_weight: float = 1.0, reduction: str = "mean") -> None:
        self.loss_weight = loss_weight


@TASK_UTILS.register_module(force=True)
class VBCfgTestCoder:
    def __init__(self, target_stds: Sequence[float] = (1.0, 1.0, 1.0, 1.0)) -> None:
        self.target_stds = target_stds


@DATASETS.register_module(force=True)
class VBCfgTestDataset:
    def __init__(self, data_root: str = "", pipeline: Sequence[dict] = (), test_mode: bool = False):
        self.data_root = data_root


@TRANSFORMS.register_module(force=True)
class VBCfgTestResize:
    def __init__(self, scale: tuple[int, int], keep_ratio: bool = False) -> None:
        self.scale = scale


@METRICS.register_module(force=True)
class VBCfgTestMetric:
    def __init__(self, iou_thr: float = 0.5) -> None:
        self.iou_thr = iou_thr


def good_config() -> dict:
    pipeline = [dict(type="VBCfgTestResize", scale=[64, 64], keep_ratio=True)]
    return dict(
        model=dict(
            type="VBCfgTestDetector",
            backbone=dict(
                type="VBCfgTestBackbone",
                depth=18,
                out_indices=[1, 2],
                drop_rate=0,  # float accepts int
                init_cfg=dict(type="Pretrained", checkpoint="torchvision://resnet18"),
            ),
            bbox_head=dict(
                type="VBCfgTestHead",
                num_classes=3,
                loss_cls=dict(type="VBCfgTestLoss", loss_weight=2),
                bbox_coder=dict(type="VBCfgTestCoder", target_stds=[0.1, 0.1, 0.2, 0.2]),
            ),
            test_cfg=dict(nms=dict(type="nms", iou_threshold=0.5), max_per_img=100),
        ),
        train_pipeline=pipeline,
        train_dataloader=dict(
            batch_size=2,
            num_workers=0,
            sampler=dict(type="DefaultSampler", shuffle=True),
            collate_fn=dict(type="pseudo_collate"),
            dataset=dict(type="VBCfgTestDataset", data_root="data/", pipeline=pipeline),
        ),
        val_evaluator=dict(type="VBCfgTestMetric", iou_thr=0.75),
        optim_wrapper=dict(
            type="OptimWrapper",
            optimizer=dict(type="SGD", lr=0.02, momentum=0.9, weight_decay=1e-4),
            clip_grad=None,
        ),
        param_scheduler=[
            dict(type="LinearLR", start_factor=0.001, by_epoch=False, begin=0, end=500),
            dict(type="MultiStepLR", milestones=[8, 11], gamma=0.1, by_epoch=True),
        ],
        train_cfg=dict(type="EpochBasedTrainLoop", max_epochs=12, val_interval=1),
        val_cfg=dict(type="ValLoop"),
        default_hooks=dict(
            checkpoint=dict(type="CheckpointHook", interval=1, max_keep_ckpts=3),
            logger=dict(type="LoggerHook", interval=50),
            visualization=None,
        ),
        custom_hooks=[dict(type="EMAHook", momentum=0.0002)],
        visualizer=dict(type="Visualizer", vis_backends=[dict(type="LocalVisBackend")]),
        log_processor=dict(window_size=50, by_epoch=True),
        default_scope="core",
    )


def errors_of(cfg: dict) -> list[str]:
    with pytest.raises(ConfigValidationError) as err:
        validate_config(cfg)
    return err.value.errors


def test_good_config_passes_and_validate_returns_config():
    validate_config(good_config())
    cfg = Config(good_config())
    assert cfg.validate() is cfg


def test_unknown_model_type_names_path_and_suggestion():
    cfg = good_config()
    cfg["model"]["backbone"]["type"] = "VBCfgTestBackbon"
    (error,) = errors_of(cfg)
    assert "model.backbone" in error and "Did you mean 'VBCfgTestBackbone'" in error


def test_unknown_keyword_names_class_path_params_and_suggestion():
    cfg = good_config()
    cfg["model"]["bbox_head"]["num_clases"] = 3
    (error,) = errors_of(cfg)
    assert "VBCfgTestHead" in error and "model.bbox_head" in error
    assert "Did you mean 'num_classes'" in error
    assert "accepts: num_classes, loss_cls, bbox_coder" in error


def test_wrong_kind_names_key_path():
    cfg = good_config()
    cfg["model"]["backbone"]["depth"] = "50"
    (error,) = errors_of(cfg)
    assert error.startswith("model.backbone.depth: expected int, got str '50'")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("with_cp", "False", "expected bool"),
        ("drop_rate", "0.1", "expected float"),
        ("out_indices", "0,1", "expected list/tuple of int"),
        ("out_indices", ["0", "1"], "expected list/tuple of int"),
        ("frozen_stages", "1", "expected int (the default is -1)"),
        ("style", "pytroch", "Did you mean 'pytorch'"),
    ],
)
def test_wrong_kinds(key, value, expected):
    cfg = good_config()
    cfg["model"]["backbone"][key] = value
    (error,) = errors_of(cfg)
    assert error.startswith(f"model.backbone.{key}: ") and expected in error


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("out_indices", (1, 2)),  # tuple and list are interchangeable
        ("drop_rate", 1),  # float accepts int
        ("norm_cfg", None),  # Optional
        ("norm_cfg", dict(type="VBCfgTestLoss")),  # a sub-config is never rejected for its kind
        ("plugin", "anything"),  # unresolvable forward reference: skipped
        ("frozen_stages", 2.5),  # a default of int says only "not a string"
    ],
)
def test_values_that_may_fit_are_accepted(key, value):
    cfg = good_config()
    cfg["model"]["backbone"][key] = value
    validate_config(cfg)


def test_task_utils_and_losses_inside_a_model():
    cfg = good_config()
    cfg["model"]["bbox_head"]["bbox_coder"]["type"] = "VBCfgTestCodr"
    cfg["model"]["bbox_head"]["loss_cls"]["loss_weigth"] = 1.0
    errors = errors_of(cfg)
    assert len(errors) == 2
    loss_error, coder_error = errors  # in the order of the config's keys
    assert "model.bbox_head.bbox_coder" in coder_error and "'VBCfgTestCoder'" in coder_error
    assert "model.bbox_head.loss_cls" in loss_error and "Did you mean 'loss_weight'" in loss_error


def test_mmengine_components_through_parent_registries():
    cfg = good_config()
    cfg["optim_wrapper"]["optimizer"]["momentun"] = 0.9
    cfg["param_scheduler"][1]["gama"] = 0.1
    cfg["default_hooks"]["checkpoint"]["type"] = "CheckpointHok"
    cfg["train_cfg"]["max_epochs"] = "12"
    errors = errors_of(cfg)
    assert len(errors) == 4
    text = "\n".join(errors)
    assert "SGD got an unexpected keyword 'momentun' (at optim_wrapper.optimizer)" in text
    assert "Did you mean 'momentum'" in text
    assert "MultiStepLR got an unexpected keyword 'gama' (at param_scheduler[1])" in text
    assert "default_hooks.checkpoint" in text and "Did you mean 'CheckpointHook'" in text
    assert "train_cfg.max_epochs: expected int, got str '12'" in text


def test_scheduler_and_optimizer_values():
    cfg = good_config()
    cfg["optim_wrapper"]["optimizer"]["lr"] = "0.02"
    cfg["param_scheduler"][0]["by_epoch"] = "False"
    errors = errors_of(cfg)
    assert errors[0].startswith("optim_wrapper.optimizer.lr: expected float")
    assert errors[1].startswith("param_scheduler[0].by_epoch: expected bool")


def test_data_roles():
    cfg = good_config()
    cfg["train_dataloader"]["batch_szie"] = 2
    cfg["train_dataloader"]["sampler"]["type"] = "DefaultSampelr"
    cfg["train_dataloader"]["dataset"]["pipeline"] = [dict(type="VBCfgTestResiz", scale=[8, 8])]
    cfg["val_evaluator"]["iou_thrs"] = 0.5
    errors = errors_of(cfg)
    text = "\n".join(errors)
    assert "DataLoader got an unexpected keyword 'batch_szie' (at train_dataloader)" in text
    assert "Did you mean 'batch_size'" in text
    assert "train_dataloader.sampler" in text and "'DefaultSampler'" in text
    assert "train_dataloader.dataset.pipeline[0]" in text and "'VBCfgTestResize'" in text
    assert "VBCfgTestMetric got an unexpected keyword 'iou_thrs' (at val_evaluator)" in text


def test_unknown_role_types_are_not_rejected_but_their_keywords_are():
    cfg = good_config()
    cfg["model"]["test_cfg"]["rcnn"] = dict(nms=dict(type="soft_nms", iou_threshold=0.5))
    cfg["my_helper"] = dict(type="NotARegisteredThing", x=1)
    validate_config(cfg)
    cfg["my_loss"] = dict(type="VBCfgTestLoss", weight=1.0)
    (error,) = errors_of(cfg)
    assert "my_loss" in error and "Did you mean 'loss_weight'" in error


def test_default_scope_and_scope_keys_choose_the_registry():
    DET_MODELS = pytest.importorskip("visionbox.detection.registry").MODELS  # noqa: N806

    @DET_MODELS.register_module(force=True)
    class VBCfgTestDetOnlyNet:
        def __init__(self, width: int = 4) -> None:
            self.width = width

    model = dict(type="VBCfgTestDetOnlyNet", width=8)
    validate_config(dict(model=model, default_scope="detection"))
    validate_config(dict(model=dict(model, _scope_="detection"), default_scope="core"))
    validate_config(dict(model=dict(model, type="detection.VBCfgTestDetOnlyNet")))
    (error,) = errors_of(dict(model=model, default_scope="core"))
    assert "Unknown model type 'VBCfgTestDetOnlyNet' (at model)" in error
    (error,) = errors_of(dict(model=dict(model, widht=8), default_scope="detection"))
    assert "Did you mean 'width'" in error


def test_all_problems_are_reported_together():
    cfg = good_config()
    cfg["model"]["backbone"]["depth"] = "50"
    cfg["model"]["bbox_head"]["type"] = "VBCfgTestHaed"
    with pytest.raises(ConfigValidationError, match=r"Invalid config \(2 problems\)") as err:
        Config(cfg).validate()
    assert len(err.value.errors) == 2
    assert isinstance(err.value, ValueError)


def test_scope_of_a_dict_holds_for_its_children():
    registry = pytest.importorskip("visionbox.detection.registry")

    @registry.MODELS.register_module(force=True)
    class VBCfgTestDetOnlyPart:
        def __init__(self, depth: int = 1) -> None:
            self.depth = depth

    @registry.MODELS.register_module(force=True)
    class VBCfgTestDetOnlyWhole:
        def __init__(self, part: dict | None = None) -> None:
            self.part = part

    part = dict(type="VBCfgTestDetOnlyPart", depth=2)
    model = dict(type="VBCfgTestDetOnlyWhole", _scope_="detection", part=part)
    validate_config(dict(model=model, default_scope="core"))
    (error,) = errors_of(dict(model=dict(model, part=dict(part, dpeth=2)), default_scope="core"))
    assert "model.part" in error and "Did you mean 'depth'" in error


def test_a_model_variable_is_checked_as_a_model():
    # ``detector = _base_.model`` kept beside ``model = dict(type=..., detector=detector)``.
    detector = good_config()["model"]
    detector["backbone"]["norm_cfg"] = dict(type="BN", requires_grad=True)
    cfg = dict(good_config(), detector=detector)
    validate_config(cfg)
    detector["backbone"]["dpeth"] = 50
    (error,) = errors_of(cfg)
    assert "detector.backbone" in error and "Did you mean 'depth'" in error


def test_hooks_may_carry_a_priority():
    cfg = good_config()
    cfg["custom_hooks"] = [dict(type="EMAHook", momentum=0.0002, priority=49)]
    cfg["default_hooks"]["logger"]["priority"] = "BELOW_NORMAL"
    validate_config(cfg)
    cfg["default_hooks"]["logger"]["priorty"] = 49
    (error,) = errors_of(cfg)
    assert "default_hooks.logger" in error and "Did you mean 'priority'" in error
