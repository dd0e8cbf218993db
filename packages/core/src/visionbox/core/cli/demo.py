"""``visionbox demo TASK``: make VisionBox Shapes, train a small model on it, test it, draw it.

Runs on a CPU in minutes, in the current folder (the data under ``data/shapes_*``, as the Shapes
configs expect; the run under ``work_dirs/demo_<task>``). Each step prints the ``visionbox``
command that does the same:

* detection: ``detection::shapes/faster-rcnn_r18_fpn_shapes.py`` on ``data/shapes_det``;
* segmentation: ``segmentation::shapes/fcn_r18-d8_shapes-256x256.py`` on ``data/shapes_seg``;
* pose: ``pose::shapes/td-hm_res18-slim_shapes-96x128.py`` on ``data/shapes_pose``;
* tracking: ``tracking::shapes/bytetrack_faster-rcnn_r18_fpn_shapes.py`` on ``data/shapes_mot``.
"""

from __future__ import annotations

import os.path as osp
import shlex
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DEMOS", "Demo", "run_demo"]


@dataclass(frozen=True)
class Demo:
    """One task's demo: its config, the Shapes task that makes its data, and where."""

    config: str
    shapes_task: str
    data_root: str


DEMOS = {
    "detection": Demo(
        "detection::shapes/faster-rcnn_r18_fpn_shapes.py", "detection", "data/shapes_det"
    ),
    "segmentation": Demo(
        "segmentation::shapes/fcn_r18-d8_shapes-256x256.py", "segmentation", "data/shapes_seg"
    ),
    "pose": Demo("pose::shapes/td-hm_res18-slim_shapes-96x128.py", "pose", "data/shapes_pose"),
    "tracking": Demo(
        "tracking::shapes/bytetrack_faster-rcnn_r18_fpn_shapes.py", "mot", "data/shapes_mot"
    ),
}


def _step(index: int, text: str) -> None:
    print(f"[{index}/4] {text}", flush=True)


def _options_text(cfg_options: dict | None) -> str:
    if not cfg_options:
        return ""
    return " --cfg-options " + " ".join(shlex.quote(f"{k}={v}") for k, v in cfg_options.items())


def run_demo(
    task: str,
    work_dir: str | None = None,
    cfg_options: dict | None = None,
    num_train: int | None = None,
    num_val: int | None = None,
) -> dict[str, Any]:
    """Run the demo of ``task`` (see the module docstring); return the test metrics.

    Args:
        task: ``detection``, ``segmentation``, ``pose`` or ``tracking``.
        work_dir: Folder of the run; ``work_dirs/demo_<task>`` by default.
        cfg_options: Overrides of the demo's config (a shorter schedule, ...).
        num_train: Shapes training images (sequences for tracking); the default counts if None.
        num_val: Shapes validation images (sequences).
    """
    if task not in DEMOS:
        from ..utils import did_you_mean

        raise ValueError(
            f"No demo for {task!r}; choose from {', '.join(DEMOS)}.{did_you_mean(task, DEMOS)}"
        )
    from ..config import resolve_scoped_path
    from ..datasets.shapes import make_shapes
    from ..engine import test, train
    from ..engine.console import format_metrics

    demo = DEMOS[task]
    config = str(resolve_scoped_path(demo.config))
    work_dir = work_dir or osp.join("work_dirs", f"demo_{task}")
    show_dir = osp.join(work_dir, "show")
    options = _options_text(cfg_options)
    start = time.perf_counter()

    _step(1, f"VisionBox Shapes {demo.shapes_task} data into {demo.data_root}/")
    make_shapes(demo.shapes_task, demo.data_root, num_train=num_train, num_val=num_val)
    _step(2, f"visionbox train {demo.config} --work-dir {work_dir}{options}")
    train(config, work_dir=work_dir, cfg_options=cfg_options, default_scope=task)
    checkpoint = Path(work_dir, "last_checkpoint").read_text().strip()
    _step(3, f"visionbox test {demo.config} {checkpoint} --show-dir {show_dir}{options}")
    with warnings.catch_warnings():
        # The test runner asks again for the visualizer the training runner named: harmless.
        warnings.filterwarnings("ignore", message=".*instance named of visualizer has been created")
        metrics = test(
            config,
            checkpoint,
            work_dir=work_dir,
            show_dir=show_dir,
            cfg_options=cfg_options,
            default_scope=task,
        )
    _step(4, "results")
    print(format_metrics(metrics, title=f"Shapes {task} (test)"))
    print(f"{time.perf_counter() - start:.0f} s; checkpoint {checkpoint}")
    print(f"Predictions drawn in {osp.abspath(show_dir)}")
    return metrics
