"""Checkpoint loading with weights_only semantics and VisionBox's allow-list."""

from __future__ import annotations

import _compat_pickle
import collections
import io
import pickle
import pickletools
import zipfile

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

from visionbox.core import checkpoint_globals
from visionbox.core.engine import read_checkpoint, safe_load
from visionbox.core.engine.loading import CheckpointReadError
from visionbox.core.engine.safe_load import (
    SAFE_GLOBAL_NAMES,
    UnsafeCheckpointError,
    add_safe_globals,
    restricted_pickle_module,
    safe_torch_load,
)


class NotAllowed:
    """A class of a user module: not on the allow-list."""

    def __init__(self, value: int = 1) -> None:
        self.value = value


class CallsPrint:
    def __reduce__(self):
        return (print, ("this must never run",))


class GetattrEscape:
    def __reduce__(self):
        return (getattr, (collections.OrderedDict, "__class__"))


@pytest.fixture(params=["torch_weights_only", "restricted_unpickler"])
def mechanism(request, monkeypatch):
    """Run a test with torch's weights_only unpickler and with the restricted pickle module."""
    if request.param == "restricted_unpickler":
        monkeypatch.setattr(safe_load, "uses_torch_weights_only", lambda: False)
    return request.param


def _save(obj, path) -> str:
    torch.save(obj, path)
    return str(path)


def _meta_like_checkpoint() -> dict:
    buffer = HistoryBuffer()
    for value in (1.0, 2.0, 4.0):
        buffer.update(value)
    return dict(
        meta=dict(epoch=1, seed=3, rng_state=dict(numpy=np.random.get_state())),
        state_dict=collections.OrderedDict(w=torch.ones(2, 3), b=torch.zeros(3)),
        message_hub=dict(log_scalars={"train/loss": buffer}, runtime_info=dict(iter=3)),
        param_schedulers=[dict(milestones=collections.Counter({8: 1, 11: 1}))],
        extra=dict(scalar=np.float64(0.5), ints=np.arange(3, dtype=np.int32), text=np.array(["a"])),
    )


def test_mmengine_like_checkpoint_round_trips(tmp_path, mechanism):
    path = _save(_meta_like_checkpoint(), tmp_path / "ok.pth")
    loaded = safe_torch_load(path)
    assert torch.equal(loaded["state_dict"]["w"], torch.ones(2, 3))
    buffer = loaded["message_hub"]["log_scalars"]["train/loss"]
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(7 / 3)
    assert buffer.max() == 4.0
    assert loaded["param_schedulers"][0]["milestones"] == collections.Counter({8: 1, 11: 1})
    assert loaded["extra"]["scalar"] == 0.5
    np.testing.assert_array_equal(loaded["extra"]["ints"], np.arange(3, dtype=np.int32))
    np.testing.assert_array_equal(loaded["meta"]["rng_state"]["numpy"][1], np.random.get_state()[1])


def test_disallowed_class_is_refused_with_its_name(tmp_path, mechanism):
    path = _save(dict(state_dict={}, meta=dict(obj=NotAllowed())), tmp_path / "bad.pth")
    with pytest.raises(UnsafeCheckpointError) as info:
        safe_torch_load(path)
    name = f"{__name__}.NotAllowed"
    assert info.value.names == [name]
    assert name in str(info.value) and "bad.pth" in str(info.value)
    assert "weights_only=False" in str(info.value)  # says it will not fall back


def test_code_execution_is_refused(tmp_path, mechanism, capsys):
    path = _save(dict(x=CallsPrint()), tmp_path / "evil.pth")
    with pytest.raises(UnsafeCheckpointError, match="builtins.print"):
        safe_torch_load(path)
    assert "must never run" not in capsys.readouterr().out


def test_getattr_is_limited_to_history_buffer_statistics(tmp_path, mechanism):
    path = _save(dict(x=GetattrEscape()), tmp_path / "getattr.pth")
    with pytest.raises(UnsafeCheckpointError, match="getattr"):
        safe_torch_load(path)
    assert safe_load.checkpoint_getattr(HistoryBuffer, "mean") is HistoryBuffer.mean
    with pytest.raises(UnsafeCheckpointError):
        safe_load.checkpoint_getattr(HistoryBuffer, "__init__")


def test_restricted_pickle_module_directly():
    """The module passed as torch.load(pickle_module=...) on torch < 2.6, tested on any torch."""
    module = restricted_pickle_module()
    buffer = io.BytesIO()
    torch.save(_meta_like_checkpoint(), buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, pickle_module=module, weights_only=False)
    assert isinstance(loaded["message_hub"]["log_scalars"]["train/loss"], HistoryBuffer)
    with pytest.raises(UnsafeCheckpointError, match="NotAllowed"):
        module.loads(pickle.dumps(NotAllowed(), protocol=2))
    assert module.loads(pickle.dumps([1, "a"], protocol=2)) == [1, "a"]


def test_numpy_1_and_2_module_names_both_load():
    data = pickle.dumps(np.arange(4.0), protocol=2)
    for old, new in ((b"numpy._core.", b"numpy.core."), (b"numpy.core.", b"numpy._core.")):
        renamed = data.replace(old, new)
        np.testing.assert_array_equal(restricted_pickle_module().loads(renamed), np.arange(4.0))


def test_numpy_1_names_load_through_torch(tmp_path):
    """A legacy-format file whose pickle says numpy.core (NumPy 1) loads under NumPy 2 and back."""
    buffer = io.BytesIO()
    torch.save(dict(a=np.arange(3.0)), buffer, _use_new_zipfile_serialization=False)
    data = buffer.getvalue()
    for old, new in ((b"numpy._core.", b"numpy.core."), (b"numpy.core.", b"numpy._core.")):
        path = tmp_path / "legacy.pth"
        path.write_bytes(data.replace(old, new))
        np.testing.assert_array_equal(safe_torch_load(str(path))["a"], np.arange(3.0))


def test_add_safe_globals_allows_a_trusted_class(tmp_path, monkeypatch, mechanism):
    monkeypatch.setattr(checkpoint_globals, "_EXTRA", {})
    path = _save(dict(obj=NotAllowed(5)), tmp_path / "trusted.pth")
    with pytest.raises(UnsafeCheckpointError):
        safe_torch_load(path)
    add_safe_globals([NotAllowed])
    assert safe_torch_load(path)["obj"].value == 5


def test_mmengine_loading_is_left_to_mmengine_and_reads_the_allow_list(tmp_path):
    """mmengine's own local loader stays registered; torch's safe globals carry the list."""
    from mmengine.runner import checkpoint as mmengine_checkpoint

    good = _save(_meta_like_checkpoint(), tmp_path / "good.pth")
    bad = _save(dict(obj=NotAllowed()), tmp_path / "bad.pth")
    assert CheckpointLoader._get_checkpoint_loader(good) is mmengine_checkpoint.load_from_local
    loaded = _load_checkpoint(good)
    assert isinstance(loaded["message_hub"]["log_scalars"]["train/loss"], HistoryBuffer)
    with pytest.raises(pickle.UnpicklingError, match="NotAllowed"):
        _load_checkpoint(bad)


def _globals_beyond_torch(path) -> set[str]:
    """The globals a torch.save zip file names, less PyTorch's own weights-only set."""
    with zipfile.ZipFile(path) as archive:
        data = archive.read(next(n for n in archive.namelist() if n.endswith("data.pkl")))
    found = set()
    for opcode, arg, _ in pickletools.genops(data):
        if opcode.name == "GLOBAL":
            module, name = arg.split(" ", 1)
            module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
            found.add(f"{_compat_pickle.IMPORT_MAPPING.get(module, module)}.{name}")
    return found - set(safe_load._torch_default_globals())


def test_allow_list_is_exactly_what_mmengine_checkpoints_need(tmp_path, make_toy_config):
    """Train the toy model one epoch and compare the checkpoint's globals with the list."""
    from visionbox.core.engine import build_runner

    build_runner(make_toy_config(tmp_path, max_epochs=1)).train()
    found = _globals_beyond_torch(tmp_path / "epoch_1.pth")
    other_numpy = "numpy.core." if np.__version__ >= "2" else "numpy._core."
    # ConfigDict is for OpenMMLab model-zoo checkpoints, whose meta holds configs.
    zoo_only = {"mmengine.config.config.ConfigDict"}
    expected = {n for n in SAFE_GLOBAL_NAMES if not n.startswith(other_numpy)} - zoo_only
    assert found - set(checkpoint_globals.safe_globals()) == set()
    assert {n for n in found if not n.startswith("numpy.dtypes.")} == expected


def test_http_checkpoints_are_read_from_the_hub_cache_and_loaded_safely(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))
    url = "https://download.example.invalid/models/toy_20240101-abcdef12.pth"
    from visionbox.core.engine import torch_hub_checkpoint_path

    cached = torch_hub_checkpoint_path(url)
    assert cached == str(tmp_path / "hub" / "checkpoints" / "toy_20240101-abcdef12.pth")

    def no_download(*args, **kwargs):
        raise AssertionError("a cached file must not be downloaded again")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    torch.save(dict(state_dict=dict(w=torch.arange(3))), cached)
    assert torch.equal(read_checkpoint(url)["state_dict"]["w"], torch.arange(3))
    torch.save(dict(obj=NotAllowed()), cached)
    with pytest.raises(UnsafeCheckpointError, match="NotAllowed"):
        read_checkpoint(url)


def test_pretrained_init_cfg_uses_the_allow_list(tmp_path):
    """init_cfg=dict(type='Pretrained', checkpoint=<local path>) in a VisionBox scope loads
    through VisionBox's loader."""
    from mmengine.model import BaseModule

    class Net(BaseModule):
        def __init__(self, checkpoint: str) -> None:
            super().__init__(init_cfg=dict(type="Pretrained", checkpoint=checkpoint))
            self.fc = torch.nn.Linear(2, 2)

    good = tmp_path / "good.pth"
    torch.save(dict(state_dict={"fc.weight": torch.eye(2), "fc.bias": torch.ones(2)}), good)
    net = Net(str(good))
    with DefaultScope.overwrite_default_scope("core"):
        net.init_weights()
    assert torch.equal(net.fc.weight, torch.eye(2)) and torch.equal(net.fc.bias, torch.ones(2))
    bad = tmp_path / "bad.pth"
    torch.save(dict(state_dict={"fc.weight": torch.eye(2)}, meta=dict(x=NotAllowed())), bad)
    with (
        DefaultScope.overwrite_default_scope("core"),
        pytest.raises(UnsafeCheckpointError, match="NotAllowed"),
    ):
        Net(str(bad)).init_weights()
    cut = tmp_path / "cut.pth"
    cut.write_bytes(good.read_bytes()[:100])
    with (
        DefaultScope.overwrite_default_scope("core"),
        pytest.raises(CheckpointReadError, match="cut.pth"),
    ):
        Net(str(cut)).init_weights()


def test_pretrained_prefix_loads_a_sub_module(tmp_path):
    from mmengine.model import BaseModule

    class Net(BaseModule):
        def __init__(self, init_cfg: dict) -> None:
            super().__init__(init_cfg=init_cfg)
            self.fc = torch.nn.Linear(2, 2)

    path = tmp_path / "detector.pth"
    weights = {"backbone.fc.weight": torch.eye(2), "backbone.fc.bias": torch.ones(2)}
    torch.save(dict(state_dict={**weights, "head.w": torch.zeros(1)}), path)
    net = Net(dict(type="Pretrained", checkpoint=str(path), prefix="backbone"))
    with DefaultScope.overwrite_default_scope("core"):
        net.init_weights()
    assert torch.equal(net.fc.weight, torch.eye(2)) and torch.equal(net.fc.bias, torch.ones(2))
    with (
        DefaultScope.overwrite_default_scope("core"),
        pytest.raises(KeyError, match="no weights under 'neck.'"),
    ):
        Net(dict(type="Pretrained", checkpoint=str(path), prefix="neck.")).init_weights()
