"""Predictions of a model on fixed VisionBox Shapes inputs, for the reload-identity test.

Run as a script, it loads a checkpoint through the task's public ``init_*`` in a fresh process
and writes the predictions to an ``.npz``::

    python reload_predict.py TASK CONFIG CHECKPOINT OUT.npz

(run from the folder that holds ``data/shapes_*``).
"""

from __future__ import annotations

import glob
import importlib
import inspect
import os
import sys

import numpy as np
import torch

#: task -> (package, init function, data folder)
TASKS = {
    "detection": ("detection", "init_detector", "data/shapes_det"),
    "segmentation": ("segmentation", "init_model", "data/shapes_seg"),
    "pose": ("pose", "init_model", "data/shapes_pose"),
    "tracking": ("tracking", "init_track_model", "data/shapes_mot"),
}


def init(task: str, config: str, checkpoint: str | None) -> torch.nn.Module:
    """The task's ``init_*`` without folding BatchNorms, so weights stay as saved."""
    package, name, _ = TASKS[task]
    init_fn = getattr(importlib.import_module(f"visionbox.{package}.apis"), name)
    kwargs = {"fuse": False} if "fuse" in inspect.signature(init_fn).parameters else {}
    return init_fn(config, checkpoint, **kwargs)


def _arrays(prefix: str, data, out: dict[str, np.ndarray]) -> None:
    for key, value in data.items():
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        if isinstance(value, np.ndarray):
            out[f"{prefix}.{key}"] = value


@torch.no_grad()
def predict(task: str, model: torch.nn.Module) -> dict[str, np.ndarray]:
    """Every prediction array of ``model`` on the task's validation images (a few frames)."""
    apis = importlib.import_module(f"visionbox.{TASKS[task][0]}.apis")
    root = TASKS[task][2]
    out: dict[str, np.ndarray] = {}
    if task == "detection":
        images = sorted(glob.glob(f"{root}/val/*.jpg"))
        for i, result in enumerate(apis.inference_detector(model, images)):
            _arrays(f"{i}.pred", result.pred_instances, out)
    elif task == "segmentation":
        images = sorted(glob.glob(f"{root}/img_dir/val/*"))
        for i, result in enumerate(apis.inference_model(model, images)):
            out[f"{i}.sem_seg"] = result.pred_sem_seg.data.numpy()
            out[f"{i}.logits"] = result.seg_logits.data.numpy()
    elif task == "pose":
        for i, image in enumerate(sorted(glob.glob(f"{root}/val/*.jpg"))):
            boxes = np.array([[8, 8, 120, 90], [0, 0, 96, 128]], np.float32)
            for j, result in enumerate(apis.inference_topdown(model, image, boxes)):
                _arrays(f"{i}.{j}.pred", result.pred_instances, out)
    else:
        frames = sorted(glob.glob(f"{root}/SHAPES-val/*/img1/*.jpg"))[:4]
        for i, frame in enumerate(frames):
            result = apis.inference_mot(model, frame, i, video_len=len(frames))
            _arrays(f"{i}.track", result[0].pred_track_instances, out)
    if not out:
        raise RuntimeError(f"no predictions for {task}")
    return out


def main(argv: list[str]) -> None:
    task, config, checkpoint, target = argv
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    np.savez(target, **predict(task, init(task, config, checkpoint)))


if __name__ == "__main__":
    main(sys.argv[1:])
