"""The VisionBox demo: make VisionBox Shapes, train a small model on it, test it, draw predictions.

    python tools/demo.py [--task {detection,segmentation,pose,tracking}] [--work-dir DIR]

The same as ``visionbox demo TASK`` (see :mod:`visionbox.core.cli.demo`); runs on a CPU in a few
minutes, in the current folder.
"""

from __future__ import annotations

import argparse
import sys

from visionbox.core.cli import main as visionbox

TASKS = ("detection", "segmentation", "pose", "tracking")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=TASKS, default="detection")
    parser.add_argument("--work-dir", default=None, help="default: work_dirs/demo_<task>")
    args, rest = parser.parse_known_args(argv)
    command = ["demo", args.task, *rest]
    if args.work_dir is not None:
        command += ["--work-dir", args.work_dir]
    return visionbox(command)


if __name__ == "__main__":
    sys.exit(main())
