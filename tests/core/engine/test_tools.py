"""tools/<task>/train.py and test.py: the OpenMMLab flags over visionbox.core.engine."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from visionbox.core.config import Config
from visionbox.core.engine import cli, train_main, train_parser

TOOLS = Path(__file__).resolve().parents[3] / "tools"
TASKS = ("detection", "segmentation", "pose", "tracking")


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("script", ["train.py", "test.py"])
def test_every_tool_parses_the_openmmlab_flags(task, script, capsys):
    namespace = runpy.run_path(str(TOOLS / task / script), run_name="tool_under_test")
    assert namespace["TASK"] == task
    with pytest.raises(SystemExit) as info:
        namespace["main"](["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert task in text
    flags = ["--work-dir", "--cfg-options", "--launcher", "--local_rank"]
    flags += (
        ["--resume", "--amp", "--auto-scale-lr"]
        if script == "train.py"
        else ["--out", "--show-dir"]
    )
    for flag in flags:
        assert flag in text


def test_parsers():
    args = train_parser("detection").parse_args(
        ["c.py", "--resume", "--cfg-options", "a.b=1", "c=x"]
    )
    assert args.resume == "auto" and args.cfg_options == {"a.b": 1, "c": "x"}
    assert (
        train_parser("detection").parse_args(["c.py", "--resume", "w/epoch_1.pth"]).resume
        == "w/epoch_1.pth"
    )
    assert train_parser("detection").parse_args(["c.py"]).resume is None
    args = cli.test_parser("pose").parse_args(
        ["c.py", "ck.pth", "--launcher", "pytorch", "--local-rank", "1"]
    )
    assert (args.checkpoint, args.launcher, args.local_rank) == ("ck.pth", "pytorch", 1)
    with pytest.raises(SystemExit):
        train_parser("pose").parse_args(["c.py", "--launcher", "torchrun"])


def test_train_and_test_scripts_end_to_end(tmp_path, make_toy_config):
    pytest.importorskip("visionbox.segmentation")  # the tool sets its task's scope
    cfg = make_toy_config(tmp_path / "from_config", max_epochs=2)
    config_path = tmp_path / "toy_config.py"
    Config(cfg).dump(str(config_path))
    work_dir = tmp_path / "work"
    train = runpy.run_path(str(TOOLS / "segmentation" / "train.py"), run_name="tool")["main"]
    options = ["--work-dir", str(work_dir), "--cfg-options"]
    train([str(config_path), *options, "train_cfg.max_epochs=1", "experiment_name=tools_a"])
    assert (work_dir / "epoch_1.pth").is_file() and not (work_dir / "epoch_2.pth").exists()
    dumped = Config.fromfile(str(next(work_dir.glob("*/vis_data/config.py"))))
    assert dumped.default_scope == "segmentation"  # the tool's task scope

    train_main("segmentation", [str(config_path), "--resume", *options, "experiment_name=tools_b"])
    assert (work_dir / "epoch_2.pth").is_file()  # auto-resumed epoch 1 -> trained epoch 2

    test = runpy.run_path(str(TOOLS / "segmentation" / "test.py"), run_name="tool")["main"]
    test([str(config_path), str(work_dir / "epoch_2.pth"), "--work-dir", str(tmp_path / "eval")])
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert set(metrics) == {"mse"} and metrics["mse"] >= 0
