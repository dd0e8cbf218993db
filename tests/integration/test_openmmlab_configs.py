"""OpenMMLab 3.x configs run unchanged: shipped configs rewritten in the peers' spelling
(``default_scope='mmdet'``, ``type='mmdet.X'``, ``'mmdet::'`` bases, ``mmpretrain.ResNet``,
``custom_imports`` of ``mmdet.*``) build the same VisionBox model as the shipped config."""

from __future__ import annotations

import importlib
import textwrap

import pytest
import torch

from visionbox.core.config import Config, ConfigValidationError, CustomImportError, openmmlab

CASES = [
    # (peer scope, VisionBox scope, shipped config, model type, extra model keys)
    (
        "mmdet",
        "detection",
        "faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py",
        "FasterRCNN",
        "backbone=dict(type='mmpretrain.ResNet')",
    ),
    (
        "mmseg",
        "segmentation",
        "pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py",
        "EncoderDecoder",
        "decode_head=dict(type='mmseg.PSPHead')",
    ),
    (
        "mmpose",
        "pose",
        "body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py",
        "TopdownPoseEstimator",
        "head=dict(type='mmpose.HeatmapHead')",
    ),
    (
        "mmtrack",
        "tracking",
        "sort/sort_faster-rcnn_r50_fpn_8xb2-4e_mot17halftrain_test-mot17halfval.py",
        "DeepSORT",
        "detector=dict(type='mmdet.FasterRCNN', _scope_='mmdet')",
    ),
]


def _build(cfg: Config) -> torch.nn.Module:
    registry = importlib.import_module(f"visionbox.{cfg.default_scope}.registry")
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        return registry.MODELS.build(cfg.model)


def _write(path, text: str):
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize(("peer", "scope", "rel", "model_type", "extra"), CASES)
def test_peer_spelling_builds_the_shipped_model(
    tmp_path, monkeypatch, peer, scope, rel, model_type, extra
):
    pytest.importorskip(f"visionbox.{scope}")
    lines: list[str] = []
    monkeypatch.setattr(openmmlab, "print_log", lambda msg, **kw: lines.append(msg))
    peer_path = _write(
        tmp_path / "peer.py",
        f"""
        _base_ = '{peer}::{rel}'
        default_scope = '{peer}'
        model = dict(type='{peer}.{model_type}', {extra})
        custom_imports = dict(imports=['{peer}.models'], allow_failed_imports=False)
        """,
    )
    peer_cfg = Config.fromfile(peer_path)
    assert len(lines) == 1 and f"{peer} -> {scope}" in lines[0]  # one info line
    assert peer_cfg.default_scope == scope
    assert peer_cfg.custom_imports.imports == [f"visionbox.{scope}.models"]
    peer_cfg.validate()
    ours_cfg = Config.fromfile(_write(tmp_path / "ours.py", f"_base_ = '{scope}::{rel}'\n"))
    torch.manual_seed(0)
    peer_model = _build(peer_cfg)
    torch.manual_seed(0)
    ours_model = _build(ours_cfg)
    assert type(peer_model) is type(ours_model)
    peer_sd, ours_sd = peer_model.state_dict(), ours_model.state_dict()
    assert list(peer_sd) == list(ours_sd)
    assert all(peer_sd[k].shape == ours_sd[k].shape for k in ours_sd)
    assert [type(m) for m in peer_model.modules()] == [type(m) for m in ours_model.modules()]


def test_mmpretrain_backbone_is_cores_class():
    pytest.importorskip("visionbox.detection")
    from visionbox.core.models.backbones import ResNet

    cfg = Config(dict(default_scope="mmdet", model=dict(type="mmpretrain.ResNet", depth=18)))
    assert cfg.model.type == "core.ResNet"
    assert type(_build(cfg)) is ResNet


def test_a_peer_name_we_do_not_have_lists_the_near_names():
    pytest.importorskip("visionbox.detection")
    cfg = Config(dict(default_scope="mmdet", model=dict(type="mmdet.FasterRCNNN")))
    with pytest.raises(ConfigValidationError, match="Did you mean 'FasterRCNN'"):
        cfg.validate()


def test_a_peer_module_we_do_not_have_lists_the_near_modules(tmp_path):
    pytest.importorskip("visionbox.detection")
    path = _write(tmp_path / "c.py", "custom_imports = dict(imports=['mmdet.models.dense_head'])\n")
    with pytest.raises(CustomImportError, match="visionbox.detection.models.dense_heads"):
        Config.fromfile(path)


def test_shared_component_modules_map_to_core():
    pytest.importorskip("visionbox.detection")
    cfg = {"custom_imports": {"imports": ["mmdet.models.backbones.resnet"]}}
    assert openmmlab.translate_openmmlab(cfg) == ["mmdet -> detection"]
    assert cfg["custom_imports"]["imports"] == ["visionbox.core.models.backbones.resnet"]


def test_visionbox_configs_are_left_alone(monkeypatch):
    lines: list[str] = []
    monkeypatch.setattr(openmmlab, "print_log", lambda msg, **kw: lines.append(msg))
    cfg = Config(dict(default_scope="detection", model=dict(type="mmengine.model.BaseModel")))
    assert cfg.model.type == "mmengine.model.BaseModel" and cfg.default_scope == "detection"
    assert lines == []
