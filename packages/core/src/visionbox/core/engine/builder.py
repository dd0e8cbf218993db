"""From a config to a runner: the code path behind every ``tools/<task>/train.py`` and ``test.py``.

The options mirror the OpenMMLab tools: ``work_dir`` (else the config's, else
``./work_dirs/<config name>``), ``resume`` (``'auto'``/``True`` = the ``last_checkpoint`` of the
work dir, or a path), ``amp`` (``AmpOptimWrapper`` with dynamic loss scale), ``auto_scale_lr``,
``cfg_options`` (``--cfg-options`` overrides), ``launcher`` and ``default_scope`` (the task's scope,
used when the config sets none). The config is validated (``cfg.validate()``) after every override,
before anything is built.

A checkpoint given to ``test`` or to ``resume`` is read and compared with the model built alone
from the config (:func:`check_checkpoint`) before the runner, the datasets and the data loaders
exist: a missing, truncated or non-checkpoint file is named, and a checkpoint of another model is
refused with its missing, unexpected and wrongly shaped keys (``allow_partial=True`` /
``--allow-partial`` loads what matches instead).
"""

from __future__ import annotations

import copy
import json
import logging
import os.path as osp
import sys
from typing import Any, Literal

import torch
from mmengine.config import ConfigDict
from mmengine.device import is_cuda_available, is_mlu_available, is_musa_available, is_npu_available
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmengine.utils import import_modules_from_strings

from ..config import Config, config_path
from ..registry import HOOKS, MODELS, RUNNERS, VISIONBOX_SCOPES, import_scope
from ..utils import accepted_params, check_type_name
from .checkpoint import atomic_write
from .console import is_verbose, stdout_to_log
from .fuse_hook import FastInferenceHook
from .loading import check_fits, extract_state_dict, read_checkpoint

__all__ = [
    "Launcher",
    "load_config",
    "prepare_train_config",
    "prepare_test_config",
    "build_runner",
    "check_checkpoint",
    "train",
    "test",
]

Launcher = Literal["none", "pytorch", "slurm", "mpi"]
_LAUNCHERS = ("none", "pytorch", "slurm", "mpi")
_DEFAULT_RUNNER = "VisionBoxRunner"


def load_config(
    cfg: str | Config | dict, cfg_options: dict | None = None, default_scope: str | None = None
) -> Config:
    """Read ``cfg`` (a path, a shipped config's ``'scope::relative/path.py'``, a ``Config`` or a
    dict), apply ``cfg_options`` and set the scope.

    The scope is the config's ``default_scope``, else ``default_scope``, else ``'core'``; the
    scope's VisionBox package is imported through the registry and ``custom_imports`` are
    imported, so that every type of the config can be resolved.
    """
    if isinstance(cfg, str):
        cfg = Config.fromfile(config_path(cfg))
    elif isinstance(cfg, Config):
        cfg = copy.deepcopy(cfg)  # the caller's config is left as it was
    elif isinstance(cfg, dict):
        cfg = Config(copy.deepcopy(dict(cfg)))
    else:
        cfg = Config(cfg._cfg_dict.to_dict(), filename=cfg.filename)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    scope = cfg.get("default_scope") or default_scope or "core"
    cfg.default_scope = scope
    if scope in VISIONBOX_SCOPES:
        import_scope(scope)
    if cfg.get("custom_imports"):
        import_modules_from_strings(**cfg.custom_imports)
    return cfg


def _set_work_dir(cfg: Config, work_dir: str | None) -> None:
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get("work_dir") is None:
        stem = osp.splitext(osp.basename(cfg.filename))[0] if cfg.filename else "unnamed"
        cfg.work_dir = osp.join("./work_dirs", stem)


def _check_launcher(launcher: str) -> None:
    if launcher not in _LAUNCHERS:
        raise ValueError(f"launcher must be one of {', '.join(_LAUNCHERS)}; got {launcher!r}.")


def _enable_amp(cfg: Config) -> None:
    accelerators = (is_cuda_available, is_npu_available, is_mlu_available, is_musa_available)
    if not any(available() for available in accelerators):
        raise RuntimeError(
            "--amp needs a CUDA (or NPU/MLU/MUSA) device: mmengine's AmpOptimWrapper does not run "
            "on CPU. Drop --amp to train in fp32."
        )
    wrapper = cfg.optim_wrapper
    kind = wrapper.get("type", "OptimWrapper")
    if kind == "AmpOptimWrapper":
        print_log("AMP is already enabled in the config.", logger="current", level=logging.WARNING)
        return
    if kind != "OptimWrapper":
        raise ValueError(
            f"--amp needs optim_wrapper.type='OptimWrapper', but the config has {kind!r}."
        )
    wrapper.type = "AmpOptimWrapper"
    wrapper.loss_scale = "dynamic"


def _enable_auto_scale_lr(cfg: Config) -> None:
    scale = cfg.get("auto_scale_lr")
    if not isinstance(scale, dict) or "base_batch_size" not in scale:
        raise KeyError(
            "--auto-scale-lr needs auto_scale_lr=dict(enable=False, base_batch_size=<total batch "
            "size the learning rate was tuned for>) in the config."
        )
    scale.enable = True


def _validate(cfg: Config) -> None:
    validate = getattr(cfg, "validate", None)
    if callable(validate):
        validate()


def prepare_train_config(
    cfg: str | Config | dict,
    *,
    work_dir: str | None = None,
    resume: str | bool | None = None,
    amp: bool = False,
    auto_scale_lr: bool = False,
    cfg_options: dict | None = None,
    launcher: Launcher = "none",
    default_scope: str | None = None,
) -> Config:
    """Apply the training options to a config and validate it (see the module docstring)."""
    _check_launcher(launcher)
    cfg = load_config(cfg, cfg_options, default_scope)
    _set_work_dir(cfg, work_dir)
    cfg.launcher = launcher
    if resume is True or resume == "auto":
        cfg.resume, cfg.load_from = True, None
    elif isinstance(resume, str):
        if "://" not in resume and not osp.isfile(resume):
            raise FileNotFoundError(f"Checkpoint to resume from not found: {resume}")
        cfg.resume, cfg.load_from = True, resume
    if amp:
        _enable_amp(cfg)
    if auto_scale_lr:
        _enable_auto_scale_lr(cfg)
    _validate(cfg)
    if isinstance(resume, str) and resume != "auto":
        check_checkpoint(cfg, resume)
    return cfg


def _enable_visualization(cfg: Config, show_dir: str) -> None:
    """Turn on the config's visualization hook and send its images to ``show_dir``.

    The hook is ``default_hooks.visualization``; its own parameters decide what is set:
    ``draw``/``enable`` become True and ``test_out_dir``/``out_dir`` become ``show_dir``.
    """
    hook = cfg.get("default_hooks", {}).get("visualization")
    if not isinstance(hook, dict) or "type" not in hook:
        raise KeyError(
            "--show-dir needs default_hooks.visualization=dict(type=<a visualization hook>) in the "
            "config, e.g. the task's default_runtime.py."
        )
    with HOOKS.switch_scope_and_registry(cfg.default_scope) as registry:
        hook_cls = registry.get(hook["type"])
        check_type_name(hook["type"], hook_cls, registry, "default_hooks.visualization")
    params, _ = accepted_params(hook_cls)
    params = params or []
    for flag in ("draw", "enable"):
        if flag in params:
            hook[flag] = True
    targets = [p for p in ("test_out_dir", "out_dir") if p in params]
    if not targets:
        raise TypeError(f"{hook_cls.__name__} takes no output folder (test_out_dir or out_dir).")
    hook[targets[0]] = osp.abspath(show_dir)


def prepare_test_config(
    cfg: str | Config | dict,
    checkpoint: str,
    *,
    work_dir: str | None = None,
    out: str | None = None,
    show_dir: str | None = None,
    cfg_options: dict | None = None,
    launcher: Launcher = "none",
    default_scope: str | None = None,
) -> Config:
    """Apply the test options to a config and validate it."""
    _check_launcher(launcher)
    if "://" not in checkpoint and not osp.isfile(checkpoint):
        raise FileNotFoundError(f"Checkpoint file not found: {checkpoint}")
    cfg = load_config(cfg, cfg_options, default_scope)
    _set_work_dir(cfg, work_dir)
    cfg.launcher = launcher
    cfg.load_from = checkpoint
    cfg.resume = False
    if show_dir is not None:
        _enable_visualization(cfg, show_dir)
    if out is not None:
        if not out.endswith((".pkl", ".pickle")):
            raise ValueError(f"--out must name a .pkl or .pickle file; got {out!r}.")
        dump = ConfigDict(type="DumpResults", out_file_path=out)
        evaluator = cfg.get("test_evaluator")
        if evaluator is None:
            cfg.test_evaluator = [dump]
        elif isinstance(evaluator, list | tuple):
            cfg.test_evaluator = [*evaluator, dump]
        elif "metrics" in evaluator:
            evaluator.metrics = [*list(evaluator.metrics), dump]
        else:
            cfg.test_evaluator = [evaluator, dump]
    _validate(cfg)
    return cfg


def _build_model_alone(cfg: Config) -> torch.nn.Module:
    """``cfg.model`` built alone, on the meta device when it can be (no memory, no init)."""
    with MODELS.switch_scope_and_registry(cfg.default_scope) as registry:
        try:
            with torch.device("meta"):
                model = registry.build(copy.deepcopy(cfg.model))
        except (RuntimeError, NotImplementedError):
            # A constructor that computes with tensor values cannot run on the meta device.
            model = registry.build(copy.deepcopy(cfg.model))
    return model


def check_checkpoint(cfg: Config, checkpoint: str, *, allow_partial: bool = False) -> dict:
    """Read ``checkpoint`` and compare its weights with ``cfg.model``; return the checkpoint.

    Raises:
        FileNotFoundError, CheckpointReadError, UnsafeCheckpointError: the file (named) is
            missing, not a whole checkpoint or needs a global outside the allow-list.
        CheckpointMismatchError: the keys or shapes differ from the model's, unless
            ``allow_partial`` (then the differences are logged).
    """
    loaded = read_checkpoint(checkpoint)
    state = extract_state_dict(loaded, f"Checkpoint {checkpoint!r}")
    model = _build_model_alone(cfg)
    name = type(model).__name__
    check_fits(
        model.state_dict(), state, repr(checkpoint), model_name=name, strict=not allow_partial
    )
    return loaded


def _runner_from_config(cfg: Config) -> Runner:
    runner_type = cfg.get("runner_type", _DEFAULT_RUNNER)
    if not isinstance(runner_type, str):
        return runner_type.from_cfg(cfg)
    with RUNNERS.switch_scope_and_registry(cfg.default_scope) as registry:
        runner_cls = registry.get(runner_type)
        check_type_name(runner_type, runner_cls, registry, "runner_type")
    return runner_cls.from_cfg(cfg)


def build_runner(
    cfg: str | Config | dict,
    *,
    work_dir: str | None = None,
    resume: str | bool | None = None,
    amp: bool = False,
    auto_scale_lr: bool = False,
    cfg_options: dict | None = None,
    launcher: Launcher = "none",
    default_scope: str | None = None,
) -> Runner:
    """Build the training runner of ``cfg`` (a ``VisionBoxRunner`` unless ``runner_type`` says)."""
    cfg = prepare_train_config(
        cfg,
        work_dir=work_dir,
        resume=resume,
        amp=amp,
        auto_scale_lr=auto_scale_lr,
        cfg_options=cfg_options,
        launcher=launcher,
        default_scope=default_scope,
    )
    return _runner_from_config(cfg)


def _add_progress_bar(cfg: Config) -> None:
    """On a terminal, unless verbose, draw training progress as one line (``ProgressBarHook``)."""
    if is_verbose() or not sys.stdout.isatty():
        return
    hooks = list(cfg.get("custom_hooks") or [])
    if not any(isinstance(h, dict) and h.get("type") == "ProgressBarHook" for h in hooks):
        cfg.custom_hooks = [*hooks, dict(type="ProgressBarHook")]


def train(cfg: str | Config | dict, **options: Any) -> torch.nn.Module:
    """Build the runner (options of :func:`build_runner`) and train; return the trained model.

    On a terminal a progress bar shows the iterations and the ETA (:mod:`.console`).
    """
    cfg = prepare_train_config(cfg, **options)
    _add_progress_bar(cfg)
    runner = _runner_from_config(cfg)
    with stdout_to_log(runner.logger):
        return runner.train()


def test(
    cfg: str | Config | dict,
    checkpoint: str,
    *,
    work_dir: str | None = None,
    out: str | None = None,
    show_dir: str | None = None,
    cfg_options: dict | None = None,
    launcher: Launcher = "none",
    default_scope: str | None = None,
    allow_partial: bool = False,
    fuse: bool = True,
    compile: bool = False,
) -> dict[str, Any]:
    """Test ``checkpoint`` on the test set; write the metrics to ``<work_dir>/metrics.json``.

    The checkpoint is checked against the model before anything else is built
    (:func:`check_checkpoint`); ``allow_partial`` tests a checkpoint that covers the model only
    in part. With ``fuse`` (the default) the test runs on the fast inference path, a copy of the
    model with its BatchNorms folded (:class:`~.fuse_hook.FastInferenceHook`); ``fuse=False`` /
    ``--no-fuse`` tests the model as trained. ``compile`` (``--compile``) also runs the copy's
    backbone and neck through ``torch.compile`` (see :func:`optimize_for_inference`).

    Returns:
        The metrics, as the evaluator computed them.
    """
    cfg = prepare_test_config(
        cfg,
        checkpoint,
        work_dir=work_dir,
        out=out,
        show_dir=show_dir,
        cfg_options=cfg_options,
        launcher=launcher,
        default_scope=default_scope,
    )
    check_checkpoint(cfg, checkpoint, allow_partial=allow_partial)
    runner = _runner_from_config(cfg)
    if fuse or compile:
        runner.register_hook(FastInferenceHook(fuse=fuse, compile=compile))
    with stdout_to_log(runner.logger):
        metrics = runner.test()
    if runner.rank == 0:
        with atomic_write(osp.join(runner.work_dir, "metrics.json"), "w") as file:
            json.dump(_to_json(metrics), file, indent=2)
    return metrics


def _to_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    if hasattr(value, "tolist"):  # tensors and NumPy values
        return value.tolist()
    return value


# A name that starts with "test" is not a pytest test when imported into a test module.
test.__test__ = False  # type: ignore[attr-defined]
