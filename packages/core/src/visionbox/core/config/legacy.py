"""Conversion of OpenMMLab 2.x (mmcv 1.x runner) config keys to their mmengine form.

Each converted key raises one :class:`LegacyConfigWarning` naming the old and the new keys:

============================  ===========================================================
2.x key                       mmengine form
============================  ===========================================================
``optimizer``                 ``optim_wrapper=dict(type='OptimWrapper', optimizer=...)``
``optimizer_config``          ``optim_wrapper.clip_grad`` / ``accumulative_counts`` /
                              ``AmpOptimWrapper`` (``Fp16OptimizerHook``)
``fp16``                      ``optim_wrapper=dict(type='AmpOptimWrapper', loss_scale=...)``
``runner``, ``total_epochs``  ``train_cfg=dict(type='EpochBasedTrainLoop' | 'IterBasedTrainLoop')``
``lr_config``                 ``param_scheduler`` (warmup + main policy)
``evaluation``                ``train_cfg.val_interval`` (+ ``default_hooks.checkpoint.save_best``)
``checkpoint_config``         ``default_hooks.checkpoint``
``log_config``                ``default_hooks.logger`` (+ ``visualizer.vis_backends``)
``dist_params``               ``env_cfg.dist_cfg``
``resume_from``               ``load_from`` + ``resume=True``
============================  ===========================================================

Warmups are converted so that the learning rate equals mmcv's at every iteration: a linear warmup
of ``N`` iterations is ``LinearLR(start_factor=ratio, begin=0, end=N + 1)``, an exponential one
is ``LinearLR(start_factor=ratio, end_factor=ratio, end=1)`` followed by
``ExponentialLR(gamma=ratio ** (-1 / N), end=N + 1)``.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

__all__ = ["LegacyConfigWarning", "convert_legacy_keys"]

_LR_POLICIES = ("step", "CosineAnnealing", "cosine", "poly", "fixed")
_WARMUPS = ("linear", "constant", "exp")


class LegacyConfigWarning(UserWarning):
    """A config used an OpenMMLab 2.x key that was converted to its mmengine form."""


def _warn(old: str, new: str) -> None:
    warnings.warn(
        f"Legacy config key '{old}' (OpenMMLab 2.x) was converted to '{new}'; write '{new}' "
        "in new configs.",
        LegacyConfigWarning,
        stacklevel=4,
    )


def _plain(value: Any) -> Any:
    """A deep copy as plain dicts and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return copy.copy(value)


def _convert_runner(cfg: dict) -> None:
    present = [key for key in ("runner", "total_epochs") if key in cfg]
    if not present:
        return
    runner = cfg.pop("runner", None) or {}
    total_epochs = cfg.pop("total_epochs", None)
    runner_type = runner.get("type", "EpochBasedRunner")
    if runner_type == "IterBasedRunner":
        loop = dict(type="IterBasedTrainLoop", max_iters=runner["max_iters"], val_interval=1)
    elif runner_type == "EpochBasedRunner":
        max_epochs = runner.get("max_epochs", total_epochs)
        loop = dict(type="EpochBasedTrainLoop", max_epochs=max_epochs, val_interval=1)
    else:
        raise ValueError(
            f"Legacy config key 'runner' has type {runner_type!r}; only 'EpochBasedRunner' and "
            "'IterBasedRunner' can be converted. Write train_cfg=dict(type=...) instead."
        )
    if cfg.get("train_cfg") is None:
        cfg["train_cfg"] = loop
    for key in present:
        _warn(key, "train_cfg")


def _max_length(cfg: dict) -> tuple[int | None, bool]:
    """Training length from ``train_cfg`` and whether it counts epochs."""
    loop = cfg.get("train_cfg") or {}
    if "max_epochs" in loop:
        return loop["max_epochs"], True
    if "max_iters" in loop:
        return loop["max_iters"], False
    return None, True


def _convert_optimizer(cfg: dict) -> None:
    optimizer = cfg.pop("optimizer", None)
    optimizer_config = cfg.pop("optimizer_config", None)
    fp16 = cfg.pop("fp16", None)
    if optimizer is None:
        if optimizer_config is not None or fp16 is not None:
            raise ValueError(
                "Legacy config keys 'optimizer_config'/'fp16' need the legacy 'optimizer' key to "
                "be converted; write optim_wrapper=dict(optimizer=..., clip_grad=...) instead."
            )
        return
    wrapper_cfg = cfg.get("optim_wrapper")
    same = wrapper_cfg is not None and _plain(wrapper_cfg.get("optimizer")) == _plain(optimizer)
    if same and optimizer_config is None and fp16 is None:
        # mmsegmentation's schedules define ``optimizer`` and use it in ``optim_wrapper``:
        # a variable, not the legacy key.
        cfg["optimizer"] = optimizer
        return
    if wrapper_cfg is not None:
        raise ValueError(
            "The config has both the legacy key 'optimizer' and 'optim_wrapper'; keep only "
            "optim_wrapper=dict(type='OptimWrapper', optimizer=...)."
        )
    optimizer = _plain(optimizer)
    wrapper: dict[str, Any] = dict(type="OptimWrapper")
    for key in ("constructor", "paramwise_cfg"):
        if key in optimizer:
            wrapper[key] = optimizer.pop(key)
    wrapper["optimizer"] = optimizer
    _warn("optimizer", "optim_wrapper.optimizer")
    if optimizer_config is not None:
        hook = _plain(optimizer_config)
        hook_type = hook.pop("type", "OptimizerHook")
        if hook.get("grad_clip") is not None:
            wrapper["clip_grad"] = hook["grad_clip"]
        if "cumulative_iters" in hook:
            wrapper["accumulative_counts"] = hook["cumulative_iters"]
        if "Fp16" in hook_type:
            wrapper["type"] = "AmpOptimWrapper"
            wrapper["loss_scale"] = hook.get("loss_scale", "dynamic")
        _warn("optimizer_config", "optim_wrapper (clip_grad, accumulative_counts, type)")
    if fp16 is not None:
        wrapper["type"] = "AmpOptimWrapper"
        wrapper["loss_scale"] = fp16.get("loss_scale", "dynamic")
        _warn("fp16", "optim_wrapper=dict(type='AmpOptimWrapper', loss_scale=...)")
    cfg["optim_wrapper"] = wrapper


def _warmup_schedulers(lr: dict, by_epoch: bool) -> list[dict]:
    kind = lr.get("warmup")
    if kind is None:
        return []
    if kind not in _WARMUPS:
        raise ValueError(
            f"Legacy lr_config has warmup={kind!r}; the convertible warmups are {_WARMUPS}."
        )
    length = int(lr.get("warmup_iters", 0))
    ratio = float(lr.get("warmup_ratio", 0.1))
    on_epochs = bool(lr.get("warmup_by_epoch", False))
    span = dict(begin=0, end=length + 1, by_epoch=on_epochs)
    if kind == "linear":
        return [dict(type="LinearLR", start_factor=ratio, **span)]
    if kind == "constant":
        return [dict(type="ConstantLR", factor=ratio, **span)]
    return [
        dict(
            type="LinearLR",
            start_factor=ratio,
            end_factor=ratio,
            begin=0,
            end=1,
            by_epoch=on_epochs,
        ),
        dict(type="ExponentialLR", gamma=ratio ** (-1.0 / max(length, 1)), **span),
    ]


def _main_scheduler(lr: dict, max_length: int | None, by_epoch: bool) -> list[dict]:
    policy = lr.get("policy", "step")
    span: dict[str, Any] = dict(begin=0, by_epoch=by_epoch)
    if max_length is not None:
        span["end"] = max_length
    if policy == "step":
        step = lr.get("step")
        gamma = lr.get("gamma", 0.1)
        if isinstance(step, int):
            return [dict(type="StepLR", step_size=step, gamma=gamma, **span)]
        return [dict(type="MultiStepLR", milestones=list(step or []), gamma=gamma, **span)]
    if policy == "fixed":
        return []
    if max_length is None:
        raise ValueError(
            f"Legacy lr_config policy {policy!r} needs the training length: add "
            "runner=dict(max_epochs=...) / total_epochs, or train_cfg with max_epochs/max_iters."
        )
    if policy in ("CosineAnnealing", "cosine"):
        sched = dict(type="CosineAnnealingLR", T_max=max_length, **span)
        if "min_lr_ratio" in lr:
            sched["eta_min_ratio"] = lr["min_lr_ratio"]
        else:
            sched["eta_min"] = lr.get("min_lr", 0.0)
        return [sched]
    if policy == "poly":
        return [
            dict(
                type="PolyLR",
                power=lr.get("power", 1.0),
                eta_min=lr.get("min_lr", 0.0),
                **span,
            )
        ]
    raise ValueError(
        f"Legacy lr_config policy {policy!r} cannot be converted; the convertible policies are "
        f"{_LR_POLICIES}. Write param_scheduler=[...] instead."
    )


def _convert_lr_config(cfg: dict) -> None:
    lr = cfg.pop("lr_config", None)
    if lr is None:
        return
    if cfg.get("param_scheduler") is not None:
        raise ValueError(
            "The config has both the legacy key 'lr_config' and 'param_scheduler'; keep only "
            "param_scheduler."
        )
    max_length, loop_on_epochs = _max_length(cfg)
    by_epoch = bool(lr.get("by_epoch", loop_on_epochs))
    cfg["param_scheduler"] = _warmup_schedulers(lr, by_epoch) + _main_scheduler(
        lr, max_length, by_epoch
    )
    _warn("lr_config", "param_scheduler")


def _default_hooks(cfg: dict) -> dict:
    if cfg.get("default_hooks") is None:
        cfg["default_hooks"] = {}
    return cfg["default_hooks"]


def _convert_hooks(cfg: dict) -> None:
    evaluation = cfg.pop("evaluation", None)
    if evaluation is not None:
        if cfg.get("train_cfg") is not None and "interval" in evaluation:
            cfg["train_cfg"]["val_interval"] = evaluation["interval"]
        if evaluation.get("save_best"):
            hooks = _default_hooks(cfg)
            if hooks.get("checkpoint") is None:
                hooks["checkpoint"] = dict(type="CheckpointHook")
            hooks["checkpoint"]["save_best"] = evaluation["save_best"]
        _warn("evaluation", "train_cfg.val_interval and val_evaluator")
    checkpoint = cfg.pop("checkpoint_config", None)
    if checkpoint is not None:
        hook = dict(type="CheckpointHook")
        hook.update({k: v for k, v in _plain(checkpoint).items() if k != "type"})
        previous = _default_hooks(cfg).get("checkpoint") or {}
        hook.update({k: v for k, v in previous.items() if k == "save_best"})
        _default_hooks(cfg)["checkpoint"] = hook
        _warn("checkpoint_config", "default_hooks.checkpoint")
    log = cfg.pop("log_config", None)
    if log is not None:
        _default_hooks(cfg)["logger"] = dict(type="LoggerHook", interval=log.get("interval", 50))
        backends = [
            dict(type=h["type"].replace("LoggerHook", "VisBackend"))
            for h in log.get("hooks", [])
            if h.get("type") in ("TensorboardLoggerHook", "WandbLoggerHook", "MlflowLoggerHook")
        ]
        if backends:
            if cfg.get("visualizer") is None:
                cfg["visualizer"] = dict(
                    type="Visualizer", vis_backends=[dict(type="LocalVisBackend")]
                )
            visualizer = cfg["visualizer"]
            visualizer["vis_backends"] = list(visualizer.get("vis_backends") or []) + backends
        _warn("log_config", "default_hooks.logger and visualizer.vis_backends")


def _convert_runtime(cfg: dict) -> None:
    dist = cfg.pop("dist_params", None)
    if dist is not None:
        if cfg.get("env_cfg") is None:
            cfg["env_cfg"] = {}
        cfg["env_cfg"]["dist_cfg"] = _plain(dist)
        _warn("dist_params", "env_cfg.dist_cfg")
    resume_from = cfg.pop("resume_from", None)
    if resume_from is not None:
        cfg["load_from"] = resume_from
        cfg["resume"] = True
        _warn("resume_from", "load_from and resume=True")


def convert_legacy_keys(cfg: dict) -> dict:
    """Convert the OpenMMLab 2.x keys of a config dict in place; return the dict.

    Raises:
        ValueError: when a legacy key cannot be converted (the message says what to write).
    """
    _convert_runner(cfg)
    _convert_optimizer(cfg)
    _convert_lr_config(cfg)
    _convert_hooks(cfg)
    _convert_runtime(cfg)
    return cfg
