"""test / --resume check the checkpoint against the model before the runner and data exist."""

from __future__ import annotations

import pytest
import torch
from mmengine.config import Config

from visionbox.core.engine import (
    CheckpointMismatchError,
    CheckpointReadError,
    build_runner,
    test_main,
    test_parser,
)
from visionbox.core.engine import builder as engine_builder
from visionbox.core.engine import test as run_test
from visionbox.core.registry import DATASETS


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A checkpoint the toy model's runner wrote after one epoch, and its config."""
    from .conftest import toy_config

    work = tmp_path_factory.mktemp("toy_run")
    build_runner(toy_config(work, max_epochs=1)).train()
    return str(work / "epoch_1.pth")


@pytest.fixture
def no_data(monkeypatch):
    """Fail the test if a dataset or a runner is built."""

    def refuse(*args, **kwargs):
        raise AssertionError("built a dataset or a runner before checking the checkpoint")

    dataset = DATASETS.get("EngineToyDataset")
    monkeypatch.setattr(dataset, "__init__", refuse)
    monkeypatch.setattr(engine_builder, "_runner_from_config", refuse)


def _other_model(cfg: dict) -> dict:
    cfg["model"] = dict(type="EngineToyRegressor", hidden=16)
    return cfg


def test_checkpoint_of_another_model_is_refused_before_any_data(
    tmp_path, trained, make_toy_config, no_data
):
    cfg = _other_model(make_toy_config(tmp_path))
    with pytest.raises(CheckpointMismatchError) as info:
        run_test(cfg, trained, work_dir=str(tmp_path))
    message = str(info.value)
    assert trained in message and "EngineToyRegressor" in message
    assert "3 key(s) of another shape: backbone.0.weight (checkpoint (8, 4), model (16, 4))" in (
        message
    )
    assert "--allow-partial" in message


def test_allow_partial_tests_what_matches(tmp_path, trained, make_toy_config):
    cfg = _other_model(make_toy_config(tmp_path))
    metrics = run_test(cfg, trained, work_dir=str(tmp_path), allow_partial=True)
    assert set(metrics) == {"mse"} and metrics["mse"] >= 0.0


def test_truncated_checkpoint_is_named_before_any_data(tmp_path, trained, make_toy_config, no_data):
    cut = tmp_path / "cut.pth"
    with open(trained, "rb") as file:
        cut.write_bytes(file.read()[:2000])
    with pytest.raises(CheckpointReadError, match="truncated") as info:
        run_test(make_toy_config(tmp_path), str(cut), work_dir=str(tmp_path))
    assert str(cut) in str(info.value)


def test_resume_from_a_path_checks_the_file_first(tmp_path, trained, make_toy_config, no_data):
    text = tmp_path / "notes.pth"
    text.write_text("not a checkpoint")
    with pytest.raises(CheckpointReadError, match="not a PyTorch checkpoint"):
        engine_builder.prepare_train_config(make_toy_config(tmp_path), resume=str(text))
    with pytest.raises(CheckpointMismatchError, match="another shape"):
        engine_builder.prepare_train_config(_other_model(make_toy_config(tmp_path)), resume=trained)
    cfg = engine_builder.prepare_train_config(make_toy_config(tmp_path), resume=trained)
    assert cfg.load_from == trained and cfg.resume is True


def test_runner_loads_through_the_checked_loader(tmp_path, trained, make_toy_config):
    runner = build_runner(make_toy_config(tmp_path))
    checkpoint = runner.load_checkpoint(trained)
    assert checkpoint["meta"]["epoch"] == 1
    assert torch.equal(runner.model.head.weight, checkpoint["state_dict"]["head.weight"])
    empty = tmp_path / "empty.pth"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointReadError, match="empty.pth' is empty"):
        runner.load_checkpoint(str(empty))


def test_allow_partial_flag_of_test_py(tmp_path, trained, make_toy_config):
    assert test_parser("core").parse_args(["c.py", "k.pth", "--allow-partial"]).allow_partial
    assert not test_parser("core").parse_args(["c.py", "k.pth"]).allow_partial
    config = tmp_path / "other.py"
    Config(_other_model(make_toy_config(tmp_path))).dump(str(config))
    argv = [str(config), trained, "--work-dir", str(tmp_path / "work")]
    with pytest.raises(CheckpointMismatchError):
        test_main("core", argv)
    test_main("core", [*argv, "--allow-partial"])
    assert (tmp_path / "work" / "metrics.json").is_file()
