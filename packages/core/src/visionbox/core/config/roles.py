"""Roles of the dicts of a config: which registry resolves a ``type`` at which key path.

A *strict* role fails on an unknown type; a loose role searches its registries first, then every
registry, and leaves a type no registry knows to the code that uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["ALL_REGISTRIES", "Role", "child_role", "top_level_role"]

ALL_REGISTRIES = (
    "MODELS",
    "TASK_UTILS",
    "TRANSFORMS",
    "DATASETS",
    "DATA_SAMPLERS",
    "METRICS",
    "EVALUATOR",
    "HOOKS",
    "OPTIMIZERS",
    "OPTIM_WRAPPERS",
    "OPTIM_WRAPPER_CONSTRUCTORS",
    "PARAM_SCHEDULERS",
    "LOOPS",
    "VISUALIZERS",
    "VISBACKENDS",
    "LOG_PROCESSORS",
    "WEIGHT_INITIALIZERS",
    "MODEL_WRAPPERS",
    "FUNCTIONS",
    "STRATEGIES",
    "RUNNERS",
)


@dataclass(frozen=True)
class Role:
    """How a dict at some key path is resolved and how its children are walked."""

    registries: tuple[str, ...] = ()
    strict: bool = False
    context: str = "generic"
    implied: Callable[[dict], str | None] | None = None
    extra: tuple[str, ...] = ()


_SOFT = Role()
_SKIP = Role(context="skip")
_MODEL = Role(("MODELS",), strict=True, context="model")
_MODEL_SOFT = Role(("MODELS", "TASK_UTILS"), context="model")
_TASK_UTIL = Role(("TASK_UTILS",), strict=True, context="model")
_INIT = Role(("WEIGHT_INITIALIZERS",), strict=True, context="init")
# Norm layers are built by a helper that takes ``requires_grad`` itself (mmcv's build_norm_layer).
_NORM = Role(("MODELS",), context="skip_children", extra=("requires_grad",))
_DATASET = Role(("DATASETS",), strict=True, context="dataset")
_TRANSFORM = Role(("TRANSFORMS",), strict=True, context="transform")
_TRANSFORM_SOFT = Role(("TRANSFORMS",), context="transform")
_SAMPLER = Role(("DATA_SAMPLERS",), strict=True)
_FUNCTION = Role(("FUNCTIONS",), strict=True)
_OPTIMIZER = Role(("OPTIMIZERS",), strict=True)
_SCHEDULER = Role(("PARAM_SCHEDULERS",), strict=True, extra=("convert_to_iter_based",))
_METRIC = Role(("METRICS",), strict=True)
# The runner takes ``priority`` out of a hook dict before building it.
_HOOK = Role(("HOOKS",), strict=True, extra=("priority",))
_VISBACKEND = Role(("VISBACKENDS",), strict=True)
_VISUALIZER = Role(("VISUALIZERS",), strict=True, context="visualizer")
_MODEL_WRAPPER = Role(("MODEL_WRAPPERS",), strict=True)
_STRATEGY = Role(("STRATEGIES",), strict=True)
_LOG_PROCESSOR = Role(("LOG_PROCESSORS",), strict=True, implied=lambda cfg: "LogProcessor")
_EVALUATOR = Role(("EVALUATOR",), strict=True, context="evaluator", implied=lambda cfg: "Evaluator")
_OPTIM_WRAPPER = Role(
    ("OPTIM_WRAPPERS",),
    strict=True,
    context="optim_wrapper",
    implied=lambda cfg: "OptimWrapper" if "constructor" not in cfg else None,
    extra=("constructor", "paramwise_cfg"),
)
_TRAIN_LOOP = Role(
    ("LOOPS",),
    strict=True,
    implied=lambda cfg: (
        "EpochBasedTrainLoop" if cfg.get("by_epoch", True) else "IterBasedTrainLoop"
    ),
    extra=("by_epoch",),
)
_VAL_LOOP = Role(("LOOPS",), strict=True, implied=lambda cfg: "ValLoop")
_TEST_LOOP = Role(("LOOPS",), strict=True, implied=lambda cfg: "TestLoop")

_MODEL_KEYS = {
    "backbone": _MODEL,
    "neck": _MODEL,
    "data_preprocessor": _MODEL,
    "detector": _MODEL,
    "segmentor": _MODEL,
    "init_cfg": _INIT,
    "assigner": _TASK_UTIL,
    "sampler": _TASK_UTIL,
    "train_cfg": Role(context="model"),
    "test_cfg": Role(context="model"),
    "norm_cfg": _NORM,
    "nms": _SKIP,
    "roi_layer": _SKIP,
}


def _model_child(key: str) -> Role:
    if key in _MODEL_KEYS:
        return _MODEL_KEYS[key]
    if key.endswith("head") or key.startswith("loss") or key.endswith("roi_extractor"):
        return _MODEL
    if key.endswith(("_coder", "_generator")):
        return _TASK_UTIL
    return _MODEL_SOFT


def child_role(context: str, key: str) -> Role:
    """The role of ``parent[key]`` inside a parent of the given context."""
    if context in ("skip", "skip_children"):
        return _SKIP
    if context == "model":
        return _model_child(key)
    if context == "init":
        return _INIT if key == "override" else _SKIP
    if context == "dataset":
        if key in ("dataset", "datasets"):
            return _DATASET
        if key == "pipeline":
            return _TRANSFORM
    if context == "transform" and key == "transforms":
        return _TRANSFORM_SOFT
    if context == "dataloader":
        return {
            "dataset": _DATASET,
            "sampler": _SAMPLER,
            "batch_sampler": _SAMPLER,
            "collate_fn": _FUNCTION,
        }.get(key, _SOFT)
    if context == "optim_wrapper" and key == "optimizer":
        return _OPTIMIZER
    if context == "evaluator" and key == "metrics":
        return _METRIC
    if context == "visualizer" and key == "vis_backends":
        return _VISBACKEND
    if context == "hooks":
        return _HOOK
    return _SOFT


_TOP_LEVEL = {
    "model": _MODEL,
    "tta_model": _MODEL,
    "optim_wrapper": _OPTIM_WRAPPER,
    "param_scheduler": _SCHEDULER,
    "default_hooks": Role(context="hooks"),
    "custom_hooks": _HOOK,
    "visualizer": _VISUALIZER,
    "vis_backends": _VISBACKEND,
    "train_cfg": _TRAIN_LOOP,
    "val_cfg": _VAL_LOOP,
    "test_cfg": _TEST_LOOP,
    "log_processor": _LOG_PROCESSOR,
    "model_wrapper_cfg": _MODEL_WRAPPER,
    "strategy": _STRATEGY,
    # A config-level variable that model dicts refer to, as in mmsegmentation's configs.
    "norm_cfg": _NORM,
}


def top_level_role(key: str, value: Any, is_model: Callable[[dict], bool] | None = None) -> Role:
    """The role of ``cfg[key]``. A variable of no known key whose dict ``is_model`` (such as
    ``detector = _base_.model`` before it goes into a tracker's ``model``) is walked as a model,
    loosely."""
    if key in _TOP_LEVEL:
        return _TOP_LEVEL[key]
    if key.endswith("norm_cfg"):  # mmseg's backbone_norm_cfg = dict(type='LN', requires_grad=True)
        return _NORM
    if key.endswith("_dataloader"):
        return Role(context="dataloader")
    if key.endswith("pipeline"):
        return _TRANSFORM
    if key.endswith("_evaluator"):
        return _EVALUATOR if isinstance(value, dict) and "metrics" in value else _METRIC
    if is_model is not None and isinstance(value, dict) and is_model(value):
        return _MODEL_SOFT
    return _SOFT
