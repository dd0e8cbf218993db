"""load_model_weights: the checkpoint must be a whole checkpoint, and it must fit the model."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from torch import nn

from visionbox.core.engine import (
    CheckpointMismatchError,
    CheckpointReadError,
    load_model_weights,
)
from visionbox.core.engine.loading import compare_state_dicts, extract_state_dict
from visionbox.core.utils.errors import UserError


class Tiny(nn.Module):
    def __init__(self, width: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, width, 1)
        self.bn = nn.BatchNorm2d(width)


def _checkpoint(model: nn.Module) -> dict:
    buffer = HistoryBuffer()
    buffer.update(np.float64(0.5))
    return dict(
        meta=dict(epoch=1, seed=np.int64(3), dtype=np.dtype("float32")),
        state_dict=collections.OrderedDict(model.state_dict()),
        message_hub=dict(log_scalars={"train/loss": buffer}),
    )


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    torch.manual_seed(0)
    model = Tiny()
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pth"
    torch.save(_checkpoint(model), path)
    return model, str(path)


def test_loads_weights_and_returns_the_checkpoint(saved):
    source, path = saved
    model = Tiny()
    checkpoint = load_model_weights(model, path)
    assert checkpoint["meta"]["epoch"] == 1
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_module_prefix_and_plain_state_dict(tmp_path, saved):
    source, _ = saved
    path = tmp_path / "ddp.pth"
    torch.save({f"module.{k}": v for k, v in source.state_dict().items()}, path)
    model = Tiny()
    checkpoint = load_model_weights(model, path)
    assert torch.equal(model.conv.weight, source.conv.weight)
    assert set(checkpoint["state_dict"]) == set(source.state_dict())


def test_mismatch_lists_counts_and_names_and_loads_nothing(saved):
    _, path = saved
    model = nn.Sequential(Tiny(width=4), nn.Linear(2, 2))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointMismatchError) as info:
        load_model_weights(model, path)
    message = str(info.value)
    assert isinstance(info.value, UserError)
    assert path in message
    assert "missing key(s): 0.conv.weight" in message
    assert "7 unexpected key(s): conv.weight, conv.bias" in message
    assert info.value.mismatch.missing[-1] == "1.bias"
    assert "allow-partial" in message
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_wrong_shapes_are_named(saved):
    _, path = saved
    with pytest.raises(CheckpointMismatchError, match=r"conv\.weight \(checkpoint \(3, 3, 1, 1\)"):
        load_model_weights(Tiny(width=4), path)


def test_strict_false_loads_what_matches(saved):
    source, path = saved
    model = Tiny(width=4)
    model.conv = nn.Conv2d(3, 3, 1)  # fits; bn does not
    load_model_weights(model, path, strict=False)
    assert torch.equal(model.conv.weight, source.conv.weight)
    assert model.bn.weight.shape == (4,)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty"),
        (b"model weights, honest", "not a PyTorch checkpoint"),
    ],
)
def test_non_checkpoints_name_their_path(tmp_path, content, expected):
    path = tmp_path / "weights.pth"
    path.write_bytes(content)
    with pytest.raises(CheckpointReadError, match=expected) as info:
        load_model_weights(Tiny(), path)
    assert str(path) in str(info.value)


def test_truncated_checkpoint_names_its_path(tmp_path, saved):
    _, path = saved
    cut = tmp_path / "cut.pth"
    with open(path, "rb") as file:
        data = file.read()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointReadError, match="truncated") as info:
        load_model_weights(Tiny(), cut)
    assert str(cut) in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.pth"):
        load_model_weights(Tiny(), tmp_path / "nothing.pth")
    with pytest.raises(CheckpointReadError, match="is a folder"):
        load_model_weights(Tiny(), tmp_path)


def test_mmdet2_checkpoint_names_the_converter(tmp_path, saved):
    source, _ = saved
    path = tmp_path / "v2.pth"
    torch.save(dict(meta=dict(mmdet_version="2.28.2"), state_dict=source.state_dict()), path)
    with pytest.raises(CheckpointReadError, match="upgrade_model_version.py"):
        load_model_weights(Tiny(), path)


def test_no_state_dict_is_named():
    with pytest.raises(CheckpointReadError, match="holds no model weights.*'meta'"):
        extract_state_dict(dict(meta=dict(epoch=1)))


def test_compare_state_dicts_on_meta_tensors():
    with torch.device("meta"):
        model = Tiny(width=4).state_dict()
    found = compare_state_dicts(model, Tiny(width=3).state_dict())
    assert not found.missing and not found.unexpected
    assert [k for k, _, _ in found.wrong_shape] == [
        "conv.weight",
        "conv.bias",
        "bn.weight",
        "bn.bias",
        "bn.running_mean",
        "bn.running_var",
    ]


def test_ema_checkpoint_loads_the_averaged_weights(tmp_path, saved):
    """mmengine's EMAHook saves the averaged weights as state_dict, the raw ones beside them."""
    source, _ = saved
    averaged = {k: v + 1 for k, v in source.state_dict().items()}
    raw = {f"module.{k}": v for k, v in source.state_dict().items()}
    path = tmp_path / "ema.pth"
    torch.save(dict(state_dict=averaged, ema_state_dict={**raw, "steps": torch.tensor(3)}), path)
    model = Tiny()
    load_model_weights(model, path)
    assert torch.equal(model.conv.weight, source.conv.weight + 1)


def test_open_mmlab_names_read_their_url_from_the_hub_cache(tmp_path, monkeypatch, saved):
    from visionbox.core.engine import read_checkpoint

    source, _ = saved
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))

    def no_download(*args, **kwargs):
        raise AssertionError("a cached file must not be downloaded again")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    cached = tmp_path / "hub" / "checkpoints" / "resnet50_caffe-788b5fa3.pth"
    cached.parent.mkdir(parents=True)
    torch.save(dict(state_dict=source.state_dict()), cached)
    # 'resnet50_caffe' is mmengine's old name of 'detectron/resnet50_caffe'.
    for name in ("open-mmlab://detectron/resnet50_caffe", "open-mmlab://resnet50_caffe"):
        loaded = read_checkpoint(name)
        assert torch.equal(loaded["state_dict"]["conv.weight"], source.conv.weight)
    with pytest.raises(CheckpointReadError, match="Did you mean 'detectron/resnet50_caffe'"):
        read_checkpoint("open-mmlab://detectron/resnet50_cafe")


def test_other_schemes_are_refused_by_name():
    from visionbox.core.engine import read_checkpoint

    with pytest.raises(CheckpointReadError, match="not s3://"):
        read_checkpoint("s3://bucket/model.pth")
