"""Issue-15 acceptance: for every task, a Shapes model trained with its shipped config (shortened
to a few iterations: the point is the reload), saved by the runner, and reloaded in a fresh
process through the package's public ``init_*`` gives predictions identical to the trained model's
own."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from visionbox.core.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
_spec = importlib.util.spec_from_file_location(
    "reload_predict", os.path.join(HERE, "reload_predict.py")
)
reload_predict = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reload_predict)

# task -> (shipped config, make_shapes task, shapes kwargs, shortening options)
CASES = {
    "detection": (
        "detection/src/visionbox/detection/configs/shapes/faster-rcnn_r18_fpn_shapes.py",
        "detection",
        dict(num_train=8, num_val=2),
        {
            "train_cfg.max_epochs": 1,
            "train_cfg.val_begin": 100,
            "train_dataloader.batch_size": 4,
            "default_hooks.checkpoint.interval": 1,
        },
    ),
    "segmentation": (
        "segmentation/src/visionbox/segmentation/configs/shapes/fcn_r18-d8_shapes-256x256.py",
        "segmentation",
        dict(num_train=8, num_val=2),
        {
            "train_cfg.max_iters": 3,
            "train_cfg.val_begin": 100,
            "train_dataloader.batch_size": 2,
            "default_hooks.checkpoint.interval": 3,
        },
    ),
    "pose": (
        "pose/src/visionbox/pose/configs/shapes/td-hm_res18-slim_shapes-96x128.py",
        "pose",
        dict(num_train=8, num_val=2),
        {
            "train_cfg.max_iters": 3,
            "train_cfg.val_begin": 100,
            "train_dataloader.batch_size": 4,
            "default_hooks.checkpoint.interval": 3,
        },
    ),
    "tracking": (
        "tracking/src/visionbox/tracking/configs/shapes/bytetrack_faster-rcnn_r18_fpn_shapes.py",
        "mot",
        dict(num_train=1, num_val=1),
        {
            "train_cfg.max_epochs": 1,
            "train_cfg.val_begin": 100,
            "train_dataloader.batch_size": 4,
            "default_hooks.checkpoint.interval": 1,
        },
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("task", list(CASES))
def test_trained_model_reloads_with_identical_predictions(task, tmp_path, monkeypatch):
    pytest.importorskip(f"visionbox.{reload_predict.TASKS[task][0]}")
    from visionbox.core.datasets.shapes import make_shapes
    from visionbox.core.engine import load_config
    from visionbox.core.engine import train as run_train

    config, shapes_task, shapes_kw, options = CASES[task]
    monkeypatch.chdir(tmp_path)
    make_shapes(shapes_task, reload_predict.TASKS[task][2], seed=0, **shapes_kw)
    cfg = load_config(os.path.join(ROOT, "packages", config), cfg_options=options)
    work = str(tmp_path / "work")
    trained = run_train(cfg, work_dir=work)
    with open(os.path.join(work, "last_checkpoint")) as f:
        checkpoint = f.read().strip()
    assert os.path.isfile(checkpoint)
    cfg_file = str(tmp_path / "config.py")
    Config.fromfile(os.path.join(ROOT, "packages", config)).dump(cfg_file)
    merged = Config.fromfile(cfg_file)
    merged.merge_from_dict(options)
    merged.dump(cfg_file)

    # The trained weights, in memory, in a model built the way init_* builds it.
    threads = torch.get_num_threads()
    model = reload_predict.init(task, cfg_file, None)
    model.load_state_dict(trained.state_dict(), strict=True)
    ours = reload_predict.predict(task, model)

    target = str(tmp_path / "reloaded.npz")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    script = os.path.join(HERE, "reload_predict.py")
    subprocess.run(
        [sys.executable, script, task, cfg_file, checkpoint, target], env=env, check=True
    )
    reloaded = dict(np.load(target))
    assert sum(v.size for v in ours.values()) > 0  # something was predicted
    assert sorted(reloaded) == sorted(ours)
    for key, value in ours.items():
        np.testing.assert_array_equal(reloaded[key], value, err_msg=f"{task}: {key}")
