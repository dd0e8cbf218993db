"""The `visionbox` command: dispatch, user errors as one message with status 2, list and check."""

from __future__ import annotations

import importlib.util

import pytest

from visionbox.core.cli import build_parser, main
from visionbox.core.cli.tasks import TaskNotFoundError, find_task, list_configs
from visionbox.core.testing.cli import run_visionbox

HAS_DETECTION = importlib.util.find_spec("visionbox.detection") is not None
needs_detection = pytest.mark.skipif(not HAS_DETECTION, reason="needs visionbox-detection")


def test_every_subcommand_is_there():
    parser = build_parser()
    choices = parser._subparsers._group_actions[0].choices  # argparse keeps them here
    assert set(choices) == {
        "train",
        "test",
        "predict",
        "track",
        "demo",
        "list-configs",
        "check",
        "export",
    }


def test_python_dash_m_visionbox_runs_the_command(tmp_path):
    done = run_visionbox(["--help"], tmp_path)
    assert done.returncode == 0 and "predict" in done.stdout and "list-configs" in done.stdout
    done = run_visionbox(["check", str(tmp_path / "nowhere.py")], tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    missing = tmp_path / "nowhere.py"
    assert done.stderr.strip() == f"visionbox check: error: Config file not found: {missing}"


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.py"):
        main(["check", str(tmp_path / "nowhere.py"), "--debug"])


def test_task_of_a_config_from_scope_bases_and_location(tmp_path):
    plain = tmp_path / "plain.py"
    plain.write_text("default_scope = 'segmentation'\nmodel = dict(type='EncoderDecoder')\n")
    assert find_task(str(plain)) == "segmentation"
    unknown = tmp_path / "unknown.py"
    unknown.write_text("model = dict(type='NoSuchModel')\n")
    with pytest.raises(TaskNotFoundError, match="default_scope = '<task>'"):
        find_task(str(unknown))
    assert main(["check", str(unknown)]) == 2


@needs_detection
def test_task_from_the_scope_of_an_inherited_config(tmp_path):
    child = tmp_path / "child.py"
    child.write_text("_base_ = 'detection::shapes/faster-rcnn_r18_fpn_shapes.py'\n")
    assert find_task(str(child)) == "detection"
    assert find_task("detection::shapes/retinanet_r18_fpn_shapes.py") == "detection"


@needs_detection
def test_list_configs_and_check(capsys):
    names = list_configs("detection")
    assert "detection::shapes/faster-rcnn_r18_fpn_shapes.py" in names
    assert not any("_base_" in n for n in names) and names == sorted(names)
    assert main(["list-configs", "detection"]) == 0
    assert capsys.readouterr().out.splitlines() == names
    assert main(["list-configs", "detektion"]) == 2
    assert "Did you mean 'detection'" in capsys.readouterr().err

    assert main(["check", "detection::shapes/faster-rcnn_r18_fpn_shapes.py"]) == 0
    line = capsys.readouterr().out.strip()
    assert "valid detection config; FasterRCNN with" in line and "parameters" in line
    options = ["--cfg-options", "model.backbone.deptth=34"]
    assert main(["check", "detection::shapes/faster-rcnn_r18_fpn_shapes.py", *options]) == 2
    err = capsys.readouterr().err
    assert "unexpected keyword 'deptth'" in err and "Did you mean 'depth'" in err


@needs_detection
def test_train_refuses_a_bad_key_before_building_anything(tmp_path, capsys):
    options = ["--cfg-options", "model.rpn_head.feat_chanels=8"]
    work = tmp_path / "work"
    config = "detection::shapes/faster-rcnn_r18_fpn_shapes.py"
    assert main(["train", config, "--work-dir", str(work), *options]) == 2
    assert "feat_chanels" in capsys.readouterr().err and not work.exists()


def test_export_without_the_deploy_module_or_with_it(capsys):
    if importlib.util.find_spec("visionbox.core.deploy.cli") is None:
        assert main(["export", "--help"]) == 2
        assert "visionbox.core.deploy" in capsys.readouterr().err
    else:
        with pytest.raises(SystemExit) as info:
            main(["export", "--help"])
        assert info.value.code == 0 and "--format" in capsys.readouterr().out


def test_visionbox_core_installs_the_console_script(tmp_path):
    import os
    import subprocess
    import sys
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="visionbox")
    assert script.value == "visionbox.core.cli:main" and script.dist.name == "visionbox-core"
    command = os.path.join(os.path.dirname(sys.executable), "visionbox")
    if not os.path.isfile(command):
        pytest.skip(f"no {command}: the interpreter's scripts folder is elsewhere")
    done = subprocess.run([command, "list-configs", "nosuchtask"], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("visionbox list-configs: error: Unknown task 'nosuchtask'")
