"""build_runner / train / test: the options of the tools, applied to a config."""

from __future__ import annotations

import json
import pickle
import sys

import pytest
import torch
from mmengine.hooks import Hook

from visionbox.core import engine
from visionbox.core.config import Config
from visionbox.core.engine import (
    build_runner,
    load_config,
    prepare_test_config,
    prepare_train_config,
    train,
)
from visionbox.core.registry import HOOKS


@HOOKS.register_module(force=True)
class EngineToyVisualizationHook(Hook):
    """A visualization hook with mmdet's argument names."""

    def __init__(self, draw: bool = False, interval: int = 1, test_out_dir: str | None = None):
        self.draw, self.interval, self.test_out_dir = draw, interval, test_out_dir


def _write_config(tmp_path, cfg: dict, name: str = "toy_r18_1x.py"):
    path = tmp_path / name
    Config(cfg).dump(str(path))
    return str(path)


def test_work_dir_defaults_to_the_config_name(tmp_path, make_toy_config, monkeypatch):
    cfg = make_toy_config(tmp_path)
    del cfg["work_dir"]
    path = _write_config(tmp_path, cfg)
    monkeypatch.chdir(tmp_path)
    assert prepare_train_config(path).work_dir == "./work_dirs/toy_r18_1x"
    assert prepare_train_config(path, work_dir="elsewhere").work_dir == "elsewhere"


def test_scope_options_and_resume(tmp_path, make_toy_config):
    pytest.importorskip("visionbox.detection")
    cfg = prepare_train_config(
        make_toy_config(tmp_path),
        default_scope="detection",
        cfg_options={"train_cfg.max_epochs": 5, "optim_wrapper.optimizer.lr": 0.5},
        launcher="none",
        resume="auto",
    )
    assert cfg.default_scope == "detection"
    assert "visionbox.detection.registry" in sys.modules  # imported through the registry
    assert cfg.train_cfg.max_epochs == 5 and cfg.optim_wrapper.optimizer.lr == 0.5
    assert cfg.resume is True and cfg.load_from is None
    own = prepare_train_config(
        dict(make_toy_config(tmp_path), default_scope="core"), default_scope="pose"
    )
    assert own.default_scope == "core"  # the config's own scope wins


def test_bad_options_fail_clearly(tmp_path, make_toy_config):
    cfg = make_toy_config(tmp_path)
    with pytest.raises(FileNotFoundError, match="nothere.pth"):
        prepare_train_config(cfg, resume=str(tmp_path / "nothere.pth"))
    with pytest.raises(FileNotFoundError, match="missing_config.py"):
        prepare_train_config(str(tmp_path / "missing_config.py"))
    with pytest.raises(ValueError, match="launcher must be one of"):
        prepare_train_config(cfg, launcher="torchrun")
    with pytest.raises(KeyError, match="auto_scale_lr=dict"):
        prepare_train_config(cfg, auto_scale_lr=True)
    with pytest.raises(KeyError, match="Unknown runner type 'VisionBoxRuner'.*VisionBoxRunner"):
        build_runner(dict(cfg, runner_type="VisionBoxRuner"))


def test_auto_scale_lr_is_enabled(tmp_path, make_toy_config):
    cfg = make_toy_config(tmp_path, auto_scale_lr=dict(enable=False, base_batch_size=16))
    assert prepare_train_config(cfg, auto_scale_lr=True).auto_scale_lr.enable is True


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU error")
def test_amp_on_cpu_fails_before_building(tmp_path, make_toy_config):
    with pytest.raises(RuntimeError, match="--amp needs a CUDA"):
        prepare_train_config(make_toy_config(tmp_path), amp=True)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_amp_trains_on_gpu(tmp_path, make_toy_config):
    cfg = prepare_train_config(make_toy_config(tmp_path, max_epochs=1), amp=True)
    assert cfg.optim_wrapper.type == "AmpOptimWrapper" and cfg.optim_wrapper.loss_scale == "dynamic"
    train(make_toy_config(tmp_path, max_epochs=1), amp=True)
    assert (tmp_path / "epoch_1.pth").is_file()


def test_validation_runs_before_anything_is_built(tmp_path, make_toy_config, monkeypatch):
    calls = []

    def validate(self):
        calls.append(self.train_cfg.max_epochs)
        raise KeyError("Unknown model type 'EngineToyRegresor'. Did you mean 'EngineToyRegressor'?")

    monkeypatch.setattr(Config, "validate", validate, raising=False)
    with pytest.raises(KeyError, match="Did you mean"):
        build_runner(make_toy_config(tmp_path), cfg_options={"train_cfg.max_epochs": 3})
    assert calls == [3]  # validated after the overrides
    assert not (tmp_path / "epoch_1.pth").exists()


def test_train_then_test_writes_metrics_json(tmp_path, make_toy_config):
    cfg = make_toy_config(tmp_path / "train", max_epochs=1)
    train(cfg)
    checkpoint = str(tmp_path / "train" / "epoch_1.pth")
    out = tmp_path / "preds.pkl"
    metrics = engine.test(make_toy_config(tmp_path / "test"), checkpoint, out=str(out))
    assert set(metrics) == {"mse"} and metrics["mse"] > 0
    written = json.loads((tmp_path / "test" / "metrics.json").read_text())
    assert written == pytest.approx(metrics)
    with open(out, "rb") as file:
        predictions = pickle.load(file)
    assert len(predictions) == 16


def test_test_options(tmp_path, make_toy_config):
    checkpoint = tmp_path / "w.pth"
    torch.save(dict(state_dict={}), checkpoint)
    cfg = make_toy_config(tmp_path)
    cfg["default_hooks"]["visualization"] = dict(type="EngineToyVisualizationHook")
    prepared = prepare_test_config(
        cfg, str(checkpoint), show_dir=str(tmp_path / "vis"), out="r.pkl"
    )
    assert prepared.load_from == str(checkpoint) and prepared.resume is False
    assert prepared.default_hooks.visualization.draw is True
    assert prepared.default_hooks.visualization.test_out_dir == str(tmp_path / "vis")
    assert prepared.test_evaluator[-1] == dict(type="DumpResults", out_file_path="r.pkl")
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        prepare_test_config(cfg, str(tmp_path / "nope.pth"))
    with pytest.raises(ValueError, match=r"\.pkl"):
        prepare_test_config(cfg, str(checkpoint), out="results.json")
    del cfg["default_hooks"]["visualization"]
    with pytest.raises(KeyError, match="default_hooks.visualization"):
        prepare_test_config(cfg, str(checkpoint), show_dir="vis")


def test_load_config_imports_custom_modules(tmp_path, make_toy_config, monkeypatch):
    (tmp_path / "engine_custom_mod.py").write_text("LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg = load_config(
        dict(make_toy_config(tmp_path), custom_imports=dict(imports=["engine_custom_mod"]))
    )
    assert cfg.default_scope == "core"
    assert sys.modules["engine_custom_mod"].LOADED


def test_the_callers_config_is_not_modified(tmp_path, make_toy_config):
    original = Config(make_toy_config(tmp_path))
    prepared = prepare_train_config(original, work_dir="x", resume="auto", default_scope="core")
    assert prepared.work_dir == "x" and "resume" not in original and "default_scope" not in original
