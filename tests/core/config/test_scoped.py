"""``scope::relative/path.py`` bases resolved to the configs shipped inside VisionBox packages."""

from __future__ import annotations

import importlib
import importlib.util
import textwrap
from pathlib import Path

import pytest

from visionbox.core.config import Config, config_root, resolve_scoped_path, scoped
from visionbox.core.registry import ScopeNotInstalledError

FAKE_SCOPE = "vbcfgfake"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    """An installed package ``visionbox.vbcfgfake`` (in tmp_path) shipping configs."""
    site = tmp_path / "site"
    package = site / "visionbox" / FAKE_SCOPE
    write(package / "__init__.py", "")
    configs = package / "configs"
    write(
        configs / "_base_/models/net.py",
        "model = dict(type='Net', depth=50, head=dict(type='Head', num_classes=80))\n",
    )
    write(
        configs / "_base_/default_runtime.py",
        f"default_scope = '{FAKE_SCOPE}'\nlog_level = 'INFO'\n",
    )
    write(
        configs / "net/net_r50_1x_coco.py",
        """
        _base_ = ['../_base_/models/net.py', '../_base_/default_runtime.py']
        model = dict(head=dict(num_classes=3))
        max_epochs = 12
        """,
    )
    write(configs / "net/net_r50_2x_coco.yaml", "_base_: ./net_r50_1x_coco.py\nmax_epochs: 24\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield configs
    importlib.invalidate_caches()


def test_scope_base_resolves_with_nested_relative_bases(fake_package, tmp_path):
    user = write(
        tmp_path / "user/my_net.py",
        f"""
        _base_ = '{FAKE_SCOPE}::net/net_r50_1x_coco.py'
        model = dict(depth=18)
        default_scope = 'core'
        """,
    )
    cfg = Config.fromfile(user)
    assert cfg.model.depth == 18
    assert cfg.model.head.num_classes == 3
    assert cfg.max_epochs == 12 and cfg.log_level == "INFO"
    assert cfg.default_scope == "core"
    # Dicts with a type inherited from another package are built in that package's scope.
    assert cfg.model._scope_ == FAKE_SCOPE
    assert "_scope_" not in cfg.model.head


def test_scope_base_of_yaml_and_base_variable(fake_package, tmp_path):
    user = write(
        tmp_path / "u.py",
        f"""
        _base_ = ['{FAKE_SCOPE}::net/net_r50_2x_coco.yaml']
        train_cfg = dict(max_epochs={{{{_base_.max_epochs}}}})
        """,
    )
    cfg = Config.fromfile(user)
    assert cfg.train_cfg.max_epochs == 24 and cfg.model.head.num_classes == 3


def test_mmengine_loader_restored_after_load(fake_package, tmp_path):
    from mmengine.config import Config as MMConfig

    user = write(tmp_path / "u.py", f"_base_ = '{FAKE_SCOPE}::net/net_r50_1x_coco.py'\n")
    Config.fromfile(user)
    assert MMConfig._get_cfg_path is scoped._original_get_cfg_path


def test_missing_file_names_path_and_close_names(fake_package, tmp_path):
    user = write(tmp_path / "u.py", f"_base_ = '{FAKE_SCOPE}::net/net_r50_1x_coc.py'\n")
    with pytest.raises(FileNotFoundError) as err:
        Config.fromfile(user)
    message = str(err.value)
    assert str(fake_package / "net/net_r50_1x_coc.py") in message
    assert f"'{FAKE_SCOPE}::net/net_r50_1x_coco.py'" in message


def test_missing_package_names_the_distribution(monkeypatch, tmp_path):
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "visionbox.segmentation" else real_find_spec(name, *args)

    monkeypatch.setattr(scoped.importlib.util, "find_spec", find_spec)
    user = write(tmp_path / "u.py", "_base_ = 'segmentation::pspnet/pspnet_r50.py'\n")
    with pytest.raises(ScopeNotInstalledError, match="pip install visionbox-segmentation"):
        Config.fromfile(user)


def test_unknown_scope_suggests_a_visionbox_scope(tmp_path):
    user = write(tmp_path / "u.py", "_base_ = 'detecton::faster_rcnn/x.py'\n")
    with pytest.raises(ValueError, match="Did you mean 'detection'"):
        Config.fromfile(user)


def test_openmmlab_base_is_the_visionbox_config_of_the_same_path(tmp_path):
    pytest.importorskip("visionbox.detection")
    rel = "faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py"
    peer = Config.fromfile(write(tmp_path / "peer.py", f"_base_ = 'mmdet::{rel}'\n"))
    ours = Config.fromfile(write(tmp_path / "ours.py", f"_base_ = 'detection::{rel}'\n"))
    assert peer.to_dict() == ours.to_dict()
    missing = write(tmp_path / "m.py", "_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_9x.py'\n")
    with pytest.raises(FileNotFoundError, match="Closest shipped configs: 'detection::faster_rcnn"):
        Config.fromfile(missing)


@pytest.mark.parametrize("scope", ["detection", "segmentation", "pose", "tracking"])
def test_real_lookup_of_installed_packages(scope, tmp_path):
    package = pytest.importorskip(f"visionbox.{scope}")
    root = Path(package.__file__).parent / "configs"
    assert config_root(scope) == root
    reference = f"{scope}::vb_cfg_no_such_dir/no_such_config.py"
    with pytest.raises(FileNotFoundError) as err:
        resolve_scoped_path(reference)
    assert str(root / "vb_cfg_no_such_dir/no_such_config.py") in str(err.value)
    user = write(tmp_path / "u.py", f"_base_ = '{reference}'\n")
    with pytest.raises(FileNotFoundError, match=f"visionbox-{scope}"):
        Config.fromfile(user)


def test_malformed_reference():
    with pytest.raises(ValueError, match="<scope>::<relative path>"):
        resolve_scoped_path("detection::")
