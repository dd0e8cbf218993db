"""Loading configs: formats, inheritance, custom imports and --cfg-options."""

from __future__ import annotations

import argparse
import copy
import json
import sys
import textwrap

import pytest

from visionbox.core.config import Config, DictAction


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_import_surface():
    from mmengine.config import Config as MMConfig

    assert issubclass(Config, MMConfig)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.py", "model = dict(type='Net', depth=50)\nlr = 0.1\n"),
        ("a.yaml", "model:\n  type: Net\n  depth: 50\nlr: 0.1\n"),
        ("a.json", json.dumps({"model": {"type": "Net", "depth": 50}, "lr": 0.1})),
    ],
)
def test_fromfile_formats(tmp_path, name, text):
    cfg = Config.fromfile(write(tmp_path / name, text))
    assert type(cfg) is Config
    assert cfg.model.type == "Net" and cfg.model.depth == 50 and cfg.lr == 0.1
    assert cfg.filename.endswith(name)


def test_base_list_delete_and_base_variables(tmp_path):
    write(
        tmp_path / "_base_/model.py", "model = dict(type='Net', depth=50, extra=dict(a=1, b=2))\n"
    )
    write(tmp_path / "_base_/schedule.py", "max_epochs = 12\nmilestones = [8, 11]\n")
    cfg_file = write(
        tmp_path / "child.py",
        """
        _base_ = ['./_base_/model.py', './_base_/schedule.py']
        model = dict(depth=18, extra=dict(_delete_=True, c=3))
        train_cfg = dict(max_epochs={{_base_.max_epochs}})
        steps = _base_.milestones
        """,
    )
    cfg = Config.fromfile(cfg_file)
    assert cfg.model.type == "Net" and cfg.model.depth == 18
    assert cfg.model.extra == {"c": 3}
    assert cfg.train_cfg.max_epochs == 12
    assert cfg.steps == [8, 11]


def test_yaml_inherits_python_base(tmp_path):
    write(tmp_path / "base.py", "model = dict(type='Net', depth=50)\n")
    cfg = Config.fromfile(write(tmp_path / "c.yaml", "_base_: ./base.py\nmodel:\n  depth: 101\n"))
    assert cfg.model.depth == 101 and cfg.model.type == "Net"


def test_custom_imports_registers_user_module(tmp_path, monkeypatch):
    write(
        tmp_path / "vb_cfg_user_mod.py",
        """
        from visionbox.core.registry import MODELS

        @MODELS.register_module(force=True)
        class VBCfgUserModuleNet:
            def __init__(self, width: int = 4):
                self.width = width
        """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg_file = write(
        tmp_path / "c.py",
        "custom_imports = dict(imports=['vb_cfg_user_mod'], allow_failed_imports=False)\n"
        "model = dict(type='VBCfgUserModuleNet', width=8)\n",
    )
    cfg = Config.fromfile(cfg_file)
    assert "vb_cfg_user_mod" in sys.modules
    cfg.validate()
    from visionbox.core.registry import MODELS

    assert MODELS.build(cfg.model).width == 8


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.py"):
        Config.fromfile(tmp_path / "nope.py")


def test_cfg_options_merge(tmp_path):
    cfg = Config.fromfile(
        write(
            tmp_path / "c.py",
            "model = dict(type='Net', depth=50)\ntrain_cfg = dict(max_epochs=12)\n",
        )
    )
    parser = argparse.ArgumentParser()
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    args = parser.parse_args(
        [
            "--cfg-options",
            "model.depth=18",
            "train_cfg.max_epochs=2",
            "work_dir=/tmp/w",
            "ids=[1,2]",
        ]
    )
    cfg.merge_from_dict(args.cfg_options)
    assert cfg.model.depth == 18 and cfg.train_cfg.max_epochs == 2
    assert cfg.work_dir == "/tmp/w" and cfg.ids == [1, 2]
    assert type(cfg) is Config


def test_fromstring_copy_and_dump_keep_the_class(tmp_path):
    cfg = Config.fromstring("model = dict(type='Net', depth=50)\n", ".py")
    assert type(cfg) is Config and cfg.model.depth == 50
    assert type(copy.deepcopy(cfg)) is Config and type(cfg.copy()) is Config
    out = tmp_path / "dumped.py"
    cfg.dump(out)
    assert Config.fromfile(out).model.depth == 50
