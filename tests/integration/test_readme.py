"""The README's "Use a trained model" snippets, run as written (Python and `visionbox` commands),
on tiny checkpoints saved where the README expects the demos' checkpoints."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from visionbox.core.config import Config, resolve_scoped_path
from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.engine import train
from visionbox.core.testing.cli import repo_root

README = repo_root() / "README.md"
NO_VAL = dict(val_cfg=None, val_dataloader=None, val_evaluator=None)
#: task -> (demo config, Shapes task, data folder, counts, short-training overrides)
TINY = {
    "detection": (
        "detection::shapes/faster-rcnn_r18_fpn_shapes.py",
        "detection",
        "data/shapes_det",
        (8, 3),
        {"train_cfg.max_epochs": 1, "train_dataloader.batch_size": 4},
    ),
    "segmentation": (
        "segmentation::shapes/fcn_r18-d8_shapes-256x256.py",
        "segmentation",
        "data/shapes_seg",
        (4, 2),
        {"train_cfg.max_iters": 2, "train_dataloader.batch_size": 2},
    ),
    "pose": (
        "pose::shapes/td-hm_res18-slim_shapes-96x128.py",
        "pose",
        "data/shapes_pose",
        (4, 2),
        {"train_cfg.max_iters": 2, "train_dataloader.batch_size": 4},
    ),
    "tracking": (
        "tracking::shapes/bytetrack_faster-rcnn_r18_fpn_shapes.py",
        "mot",
        "data/shapes_mot",
        (1, 1),
        {"train_cfg.max_epochs": 1},
    ),
}


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def _readme_checkpoints(text: str) -> dict[str, str]:
    """task -> the checkpoint path the README's snippets use for its demo."""
    found = dict(re.findall(r"work_dirs/demo_(\w+)/(\w+\.pth)", text))
    assert set(found) == set(TINY), found
    return {task: f"work_dirs/demo_{task}/{name}" for task, name in found.items()}


def _final_checkpoint(config: str) -> str:
    cfg = Config.fromfile(str(resolve_scoped_path(config)))
    loop = cfg.train_cfg
    if "max_epochs" in loop:
        return f"epoch_{loop.max_epochs}.pth"
    return f"iter_{loop.max_iters}.pth"


def test_readme_names_the_checkpoints_the_demos_write():
    paths = _readme_checkpoints(README.read_text())
    for task, (config, *_rest) in TINY.items():
        assert paths[task].endswith("/" + _final_checkpoint(config)), task


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A folder with tiny Shapes data and tiny checkpoints at the README's paths."""
    root = tmp_path_factory.mktemp("readme")
    paths = _readme_checkpoints(README.read_text())
    previous = os.getcwd()
    os.chdir(root)
    try:
        for task, (config, shapes_task, data, (num_train, num_val), options) in TINY.items():
            make_shapes(shapes_task, data, num_train=num_train, num_val=num_val)
            work = f"tiny_{task}"
            interval = next(v for k, v in options.items() if k.startswith("train_cfg.max_"))
            options = {**options, **NO_VAL, "default_hooks.checkpoint.interval": interval}
            train(str(resolve_scoped_path(config)), work_dir=work, cfg_options=options)
            checkpoint = Path(work, "last_checkpoint").read_text().strip()
            os.makedirs(os.path.dirname(paths[task]), exist_ok=True)
            shutil.copy(checkpoint, paths[task])
    finally:
        os.chdir(previous)
    return root


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def test_python_snippets_run_as_written(workspace):
    section = _section(README.read_text(), "Use a trained model")
    snippets = _blocks(section, "python")
    assert len(snippets) == 4
    script = "\n".join(snippets)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=workspace,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    printed = done.stdout.strip().splitlines()
    assert printed[0].startswith("3 images;") and printed[1] == "256 x 256 label map"
    assert printed[2].endswith("instances in the first image")
    assert re.fullmatch(r"80 frames; \d+ tracks in frame 10", printed[3])
    for folder, count in (("det", 3), ("seg", 2), ("pose", 2)):
        assert len(os.listdir(workspace / "outputs" / folder / "vis")) == count, folder
    assert len(os.listdir(workspace / "outputs" / "det" / "preds")) == 3
    assert len(os.listdir(workspace / "outputs" / "mot" / "preds")) == 1


def test_cli_snippets_run_as_written(workspace):
    section = _section(README.read_text(), "Use a trained model")
    commands = _blocks(section, "bash")
    assert len(commands) == 4 and all(c.startswith("visionbox ") for c in commands)
    done = subprocess.run(
        ["bash", "-ec", "\n".join(commands)],
        cwd=workspace,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    summary = [line for line in done.stdout.splitlines() if "Inferencer:" in line]
    assert [line.split(":")[0] for line in summary] == [
        "DetInferencer",
        "SegInferencer",
        "PoseInferencer",
        "MOTInferencer",
    ]
    for folder, count in (("det-cli", 3), ("seg-cli", 2), ("pose-cli", 2)):
        preds = os.listdir(workspace / "outputs" / folder / "preds")
        assert len([name for name in preds if name.endswith(".json")]) == count, folder


def test_two_commands_section_stays_two_commands():
    section = _section(README.read_text(), "Two commands on a fresh machine")
    (block,) = _blocks(section, "bash")
    assert block.strip().splitlines() == ["bash tools/tox.sh -e demo", "bash tools/tox.sh"]
