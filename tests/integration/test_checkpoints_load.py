"""Every task loads a checkpoint of its own runner in a fresh process that imports only its apis.

The checkpoints are written by ``VisionBoxRunner.save_checkpoint`` (what ``CheckpointHook`` calls
while ``train.py`` runs) for a runner built from the task's Shapes config, with the message hub
holding ``HistoryBuffer`` s of NumPy scalars and the optimizer state, as after training; and, for
detection, by mmengine's own ``Runner.save_checkpoint`` (the structure of OpenMMLab's model zoo).
Loading is ``weights_only=True`` throughout: no pickle global outside the allow-list is ever run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from mmengine.config import ConfigDict
from mmengine.logging import HistoryBuffer

from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.engine import build_runner, load_config, read_checkpoint

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: task -> (Shapes config, the apis function that builds a model from a config and checkpoint)
TASKS = {
    "detection": ("shapes/faster-rcnn_r18_fpn_shapes.py", "init_detector"),
    "segmentation": ("shapes/fcn_r18-d8_shapes-256x256.py", "init_model"),
    "pose": ("shapes/td-hm_res18-slim_shapes-96x128.py", "init_model"),
    "tracking": ("shapes/bytetrack_faster-rcnn_r18_fpn_shapes.py", "init_track_model"),
}
#: The Shapes data of each task (the runner's epoch counter builds the training loader).
SHAPES = {
    "detection": "detection",
    "segmentation": "segmentation",
    "pose": "pose",
    "tracking": "mot",
}


def _config(task: str) -> str:
    return os.path.join(REPO, "packages", task, "src", "visionbox", task, "configs", TASKS[task][0])


def _task_config(task: str, work) -> str:
    """The task's Shapes config as a file, reading a tiny generated Shapes data set."""
    cfg = load_config(_config(task), default_scope=task)
    root = str(work / "shapes")
    make_shapes(SHAPES[task], root, seed=0, num_train=1, num_val=1)
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = root
        if task == "pose":
            loader.dataset.metainfo = dict(from_file=os.path.join(root, "dataset_info.py"))
    path = str(work / f"{task}_shapes.py")
    cfg.dump(path)
    return path


def _as_after_training(runner) -> None:
    """Give the runner the state a training iteration leaves: optimizer, logged scalars."""
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    hub = runner.message_hub
    for loss in (np.float32(1.5), np.float64(1.25)):
        hub.update_scalar("train/loss", loss)
    hub.update_scalar("train/lr", 0.01)
    hub.update_info("dataset_meta", ConfigDict(classes=("a", "b")))


def _run(code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module", params=sorted(TASKS))
def task_checkpoint(request, tmp_path_factory):
    task = request.param
    pytest.importorskip(f"visionbox.{task}.apis")
    work = tmp_path_factory.mktemp(f"ckpt_{task}")
    config = _task_config(task, work)
    runner = build_runner(config, work_dir=str(work), default_scope=task)
    _as_after_training(runner)
    runner.save_checkpoint(str(work), "iter_1.pth", save_param_scheduler=False)
    return task, config, str(work / "iter_1.pth")


def test_each_task_loads_its_runners_checkpoint_in_a_fresh_process(task_checkpoint):
    task, config, checkpoint = task_checkpoint
    function = TASKS[task][1]
    found = _run(
        f"""
        import json, sys, torch
        from visionbox.{task}.apis import {function}

        model = {function}({config!r}, {checkpoint!r}, device="cpu", fuse=False)
        saved = torch.load({checkpoint!r}, map_location="cpu", weights_only=True)["state_dict"]
        own = model.state_dict()
        packages = sorted({{m.split(".")[1] for m in sys.modules if m.startswith("visionbox.")}})
        # mmengine's own load_checkpoint, as a user's script calls it, reads it too.
        from mmengine.runner import load_checkpoint

        loaded = load_checkpoint(torch.nn.Module(), {checkpoint!r}, strict=False)
        buffer = loaded["message_hub"]["log_scalars"]["train/loss"]
        print(json.dumps(dict(
            same=all(torch.equal(own[k], v) for k, v in saved.items()),
            covered=set(own) == set(saved),
            packages=packages,
            mmengine=[type(buffer).__name__, loaded["meta"]["iter"]],
        )))
        """
    )
    assert found["same"] and found["covered"]
    allowed = {"core", task} | ({"detection"} if task == "tracking" else set())
    assert set(found["packages"]) <= allowed, found["packages"]
    assert found["mmengine"] == ["HistoryBuffer", 0]


def test_checkpoint_holds_what_training_leaves(task_checkpoint):
    checkpoint = task_checkpoint[-1]
    loaded = read_checkpoint(checkpoint)
    buffer = loaded["message_hub"]["log_scalars"]["train/loss"]
    assert isinstance(buffer, HistoryBuffer) and buffer.mean() == pytest.approx(1.375)
    assert isinstance(loaded["message_hub"]["runtime_info"]["dataset_meta"], ConfigDict)
    assert "rng_state" in loaded["meta"] and "optimizer" in loaded


@pytest.fixture(scope="module")
def zoo_checkpoint(tmp_path_factory):
    """A detector checkpoint written by mmengine's own ``Runner.save_checkpoint``."""
    pytest.importorskip("visionbox.detection.apis")
    from mmengine.runner import Runner

    work = tmp_path_factory.mktemp("zoo")
    cfg = load_config(_task_config("detection", work), default_scope="detection")
    cfg.work_dir = str(work)
    runner = Runner.from_cfg(cfg)
    assert type(runner) is Runner
    _as_after_training(runner)
    runner.save_checkpoint(
        str(work), "epoch_12.pth", meta=dict(mmdet_version="3.3.0"), save_param_scheduler=False
    )
    return str(work / "epoch_12.pth")


def test_mmengine_runner_checkpoint_loads_through_init_detector(zoo_checkpoint):
    loaded = read_checkpoint(zoo_checkpoint)
    assert loaded["meta"]["mmdet_version"] == "3.3.0" and "rng_state" not in loaded["meta"]
    found = _run(
        f"""
        import json, torch
        from visionbox.detection.apis import init_detector

        model = init_detector({_config("detection")!r}, {zoo_checkpoint!r}, fuse=False)
        saved = torch.load({zoo_checkpoint!r}, weights_only=True)["state_dict"]
        own = model.state_dict()
        print(json.dumps(dict(same=all(torch.equal(own[k], v) for k, v in saved.items()))))
        """
    )
    assert found["same"]
