"""VisionBoxRunner: exact resume, atomic checkpoints and last_checkpoint, safe loading."""

from __future__ import annotations

import os

import mmengine.runner.runner as mmengine_runner_module
import pytest
import torch

from visionbox.core.engine import (
    CheckpointHook,
    UnsafeCheckpointError,
    VisionBoxRunner,
    atomic_write,
    build_runner,
    safe_torch_load,
)


def _weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _interrupted_run(work_dir, make_toy_config, interrupted_error) -> None:
    hooks = [dict(type="EngineInterruptHook", after_epoch=1)]
    runner = build_runner(make_toy_config(work_dir, max_epochs=2, custom_hooks=hooks))
    with pytest.raises(interrupted_error):
        runner.train()


def test_resume_equals_uninterrupted_training(tmp_path, make_toy_config, interrupted_error):
    """2 epochs == 1 epoch, crash, --resume (auto) for the second: same weights, lr, momentum."""
    full = build_runner(make_toy_config(tmp_path / "full", max_epochs=2))
    expected = _weights(full.train())

    work_dir = tmp_path / "resumed"
    _interrupted_run(work_dir, make_toy_config, interrupted_error)
    assert (work_dir / "last_checkpoint").read_text() == str(work_dir / "epoch_1.pth")
    resumed = build_runner(make_toy_config(work_dir, max_epochs=2), resume="auto")
    assert isinstance(resumed, VisionBoxRunner)
    got = _weights(resumed.train())

    assert resumed.epoch == 2 and resumed.iter == full.iter == 8
    for key in expected:
        torch.testing.assert_close(got[key], expected[key], rtol=1e-6, atol=1e-7)
    final_a = safe_torch_load(str(tmp_path / "full" / "epoch_2.pth"))
    final_b = safe_torch_load(str(work_dir / "epoch_2.pth"))
    assert (
        final_a["optimizer"]["param_groups"][0]["lr"]
        == final_b["optimizer"]["param_groups"][0]["lr"]
    )
    for key, state in final_a["optimizer"]["state"].items():
        torch.testing.assert_close(
            final_b["optimizer"]["state"][key]["momentum_buffer"], state["momentum_buffer"]
        )


def test_resume_without_rng_state_would_diverge(tmp_path, make_toy_config, interrupted_error):
    """The test above can fail: dropping the generators' state changes the resumed run."""
    full = build_runner(make_toy_config(tmp_path / "full", max_epochs=2))
    expected = _weights(full.train())
    work_dir = tmp_path / "resumed"
    _interrupted_run(work_dir, make_toy_config, interrupted_error)
    checkpoint_path = work_dir / "epoch_1.pth"
    checkpoint = safe_torch_load(str(checkpoint_path))
    del checkpoint["meta"]["rng_state"]
    torch.save(checkpoint, checkpoint_path)
    got = _weights(build_runner(make_toy_config(work_dir, max_epochs=2), resume=True).train())
    assert any(not torch.allclose(got[k], expected[k]) for k in expected)


def test_resume_from_an_explicit_path(tmp_path, make_toy_config, interrupted_error):
    work_dir = tmp_path / "a"
    _interrupted_run(work_dir, make_toy_config, interrupted_error)
    path = str(work_dir / "epoch_1.pth")
    runner = build_runner(make_toy_config(tmp_path / "b", max_epochs=2), resume=path)
    runner.train()
    assert runner.epoch == 2
    assert (tmp_path / "b" / "epoch_2.pth").is_file()
    assert not (tmp_path / "b" / "epoch_1.pth").exists()  # started at epoch 2


def test_checkpoints_are_written_atomically(tmp_path, make_toy_config, monkeypatch):
    work_dir = tmp_path / "w"
    runner = build_runner(make_toy_config(work_dir, max_epochs=1))
    runner.train()
    good = (work_dir / "epoch_1.pth").read_bytes()
    hook = next(h for h in runner.hooks if type(h).__name__ == "CheckpointHook")
    assert isinstance(hook, CheckpointHook)  # VisionBox's hook replaces mmengine's in scope

    def half_write(checkpoint, filename, **kwargs):
        with open(filename, "wb") as file:
            file.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(mmengine_runner_module, "save_checkpoint", half_write)
    with pytest.raises(OSError, match="disk full"):
        runner.save_checkpoint(str(work_dir), "epoch_1.pth")
    assert (work_dir / "epoch_1.pth").read_bytes() == good
    assert sorted(p.name for p in work_dir.iterdir() if p.name.endswith(".tmp")) == []
    assert safe_torch_load(str(work_dir / "epoch_1.pth"))["meta"]["epoch"] == 1


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "last_checkpoint"
    target.write_text("old")
    with pytest.raises(ValueError), atomic_write(str(target), "w") as file:
        file.write("half")
        raise ValueError("crash mid-write")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["last_checkpoint"]
    with atomic_write(str(target), "w") as file:
        file.write("new")
    assert target.read_text() == "new"


class Foreign:
    """Not on the allow-list."""


def test_load_from_refuses_an_unsafe_checkpoint(tmp_path, make_toy_config):
    bad = tmp_path / "bad.pth"
    torch.save(dict(state_dict={}, meta=dict(x=Foreign())), bad)
    runner = build_runner(make_toy_config(tmp_path / "w", max_epochs=1, load_from=str(bad)))
    with pytest.raises(UnsafeCheckpointError, match="Foreign"):
        runner.train()


def test_cpu_ddp_wrapping_without_device_ids(tmp_path, make_toy_config, monkeypatch):
    """On CPU, the DDP wrapper is built without device_ids (mmengine would pass [LOCAL_RANK])."""
    runner = build_runner(make_toy_config(tmp_path, max_epochs=1))
    built = {}

    def fake_build(cfg, default_args=None):
        built.update(cfg=dict(cfg), args=default_args)
        return "wrapped"

    monkeypatch.setattr(runner, "_distributed", True)
    monkeypatch.setattr("visionbox.core.engine.runner.MODEL_WRAPPERS.build", fake_build)
    assert runner.wrap_model(None, torch.nn.Linear(1, 1)) == "wrapped"
    assert built["cfg"]["type"] == "MMDistributedDataParallel"
    assert built["cfg"]["broadcast_buffers"] is False
    assert set(built["args"]) == {"module"}
