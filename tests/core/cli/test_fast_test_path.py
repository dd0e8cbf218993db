"""`test.py` / `visionbox test` on the fast inference path: FastInferenceHook tests a folded copy
of the model and gives the runner its own model back, also under mmengine's EMAHook, and
`--no-fuse` is a flag of every test command."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import EMAHook
from mmengine.logging import MMLogger
from torch import nn

from visionbox.core.engine import FastInferenceHook, test_parser


def _conv_bn_net() -> nn.Sequential:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 4, 1),
        nn.BatchNorm2d(4),
    )
    for bn in (net[1], net[4]):
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.5, 0.5)
    return net.eval()


def _runner(model: nn.Module) -> SimpleNamespace:
    return SimpleNamespace(model=model, logger=MMLogger.get_instance("fast_test_path"))


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_the_test_epoch_runs_a_folded_copy_and_the_model_comes_back():
    model = _conv_bn_net()
    before = _state(model)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        expected = model(x)
    runner = _runner(model)
    hook = FastInferenceHook()
    hook.before_test_epoch(runner)
    fast = runner.model
    assert fast is not model
    assert fast.fused_conv_bn == 2
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fast.modules())
    with torch.no_grad():
        torch.testing.assert_close(fast(x), expected, atol=1e-4, rtol=1e-4)
    hook.after_test_epoch(runner, metrics={})
    assert runner.model is model
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    for key, value in _state(model).items():
        assert torch.equal(value, before[key]), key


def test_ema_weights_are_tested_and_swapped_back():
    model = _conv_bn_net()
    runner = _runner(model)
    ema = EMAHook(ema_type="ExponentialMovingAverage")
    ema.before_run(runner)
    with torch.no_grad():  # the averaged weights differ from the model's
        for param in ema.ema_model.module.parameters():
            param.add_(0.25)
    averaged = _conv_bn_net()
    averaged.load_state_dict({k: v.clone() for k, v in ema.ema_model.module.state_dict().items()})
    trained = _state(model)
    x = torch.randn(1, 3, 12, 12)
    with torch.no_grad():
        expected = averaged(x)
        plain = model(x)
    assert not torch.allclose(expected, plain, atol=1e-3)

    fast = FastInferenceHook()
    hooks = sorted([fast, ema], key=lambda h: h.priority != "NORMAL")  # the runner's order
    for hook in hooks:
        hook.before_test_epoch(runner)
    with torch.no_grad():
        torch.testing.assert_close(runner.model(x), expected, atol=1e-4, rtol=1e-4)
    for hook in hooks:
        hook.after_test_epoch(runner, metrics={})
    assert runner.model is model
    for key, value in _state(model).items():
        assert torch.equal(value, trained[key]), key


def test_no_fuse_is_a_flag_of_the_test_command():
    assert test_parser("detection").parse_args(["c.py", "k.pth"]).no_fuse is False
    assert test_parser("detection").parse_args(["c.py", "k.pth", "--no-fuse"]).no_fuse is True
    with pytest.raises(ValueError, match="channels_last"):
        FastInferenceHook(channels_last="yes")


def test_compile_is_a_flag_that_reaches_the_hook():
    assert test_parser("detection").parse_args(["c.py", "k.pth"]).compile is False
    assert test_parser("detection").parse_args(["c.py", "k.pth", "--compile"]).compile is True
    hook = FastInferenceHook(fuse=False, compile=True)
    assert (hook.fuse, hook.compile) == (False, True)
    model = _conv_bn_net()  # no backbone or neck to compile: only --no-fuse applies
    runner = _runner(model)
    hook.before_test_epoch(runner)
    assert runner.model is not model
    assert sum(isinstance(m, nn.BatchNorm2d) for m in runner.model.modules()) == 2
    hook.after_test_epoch(runner, metrics={})
    assert runner.model is model
