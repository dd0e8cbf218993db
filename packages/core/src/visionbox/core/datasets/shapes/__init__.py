"""VisionBox Shapes: deterministic synthetic data in the standard format of every task.

Coloured shapes (circle, square, triangle, star, cross) on textured backgrounds, 256x256, small
enough to generate in seconds and to train on in minutes on a CPU::

    from visionbox.core.datasets.shapes import make_shapes
    make_shapes("detection", "data/shapes_det", seed=0)

``num_train`` / ``num_val`` count images for ``detection``, ``segmentation`` and ``pose``, and
sequences for ``pose3d``, ``mot`` and ``sot``. The same seed gives byte-identical files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Literal

from .detection import make_detection, make_segmentation, rle_encode
from .pose import KEYPOINT_NAMES, POSE_DATASET_INFO, make_pose, make_pose3d
from .render import CLASSES, PALETTE
from .tracking import make_mot, make_sot

__all__ = [
    "CLASSES",
    "DEFAULT_COUNTS",
    "KEYPOINT_NAMES",
    "PALETTE",
    "POSE_DATASET_INFO",
    "TASKS",
    "make_shapes",
    "rle_encode",
]

Task = Literal["detection", "segmentation", "pose", "pose3d", "mot", "sot"]
TASKS = ("detection", "segmentation", "pose", "pose3d", "mot", "sot")
#: Default (num_train, num_val) per task: images, or sequences for pose3d, mot and sot.
DEFAULT_COUNTS = {
    "detection": (300, 60),
    "segmentation": (300, 60),
    "pose": (300, 60),
    "pose3d": (40, 10),
    "mot": (4, 2),
    "sot": (8, 4),
}
_MAKERS: dict[str, Callable[[str, int, int, int], list[str]]] = {
    "detection": make_detection,
    "segmentation": make_segmentation,
    "pose": make_pose,
    "pose3d": make_pose3d,
    "mot": make_mot,
    "sot": make_sot,
}


def make_shapes(
    task: Task,
    out_dir: str | os.PathLike,
    seed: int = 0,
    num_train: int | None = None,
    num_val: int | None = None,
) -> list[str]:
    """Generate the VisionBox Shapes set of ``task`` under ``out_dir``.

    Args:
        task: One of :data:`TASKS`.
        out_dir: Output folder (created).
        seed: Random seed; the same seed gives byte-identical files.
        num_train: Training images (or sequences); :data:`DEFAULT_COUNTS` when ``None``.
        num_val: Validation images (or sequences).

    Returns:
        The main files or folders written (annotation files, label folders or sequences).
    """
    if task not in _MAKERS:
        from ...utils import did_you_mean

        raise ValueError(
            f"Unknown Shapes task {task!r}; choose from {TASKS}.{did_you_mean(task, TASKS)}"
        )
    default_train, default_val = DEFAULT_COUNTS[task]
    num_train = default_train if num_train is None else int(num_train)
    num_val = default_val if num_val is None else int(num_val)
    if num_train < 0 or num_val < 0:
        raise ValueError(f"num_train and num_val must be >= 0, got {num_train}, {num_val}.")
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    return _MAKERS[task](out_dir, int(seed), num_train, num_val)
