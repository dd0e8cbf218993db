"""Train a VisionBox pose model.

    python tools/pose/train.py CONFIG [--work-dir DIR] [--resume [CHECKPOINT]] [--amp]
        [--auto-scale-lr] [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

Multi-process: torchrun --nproc_per_node N tools/pose/train.py CONFIG --launcher pytorch

The config's default_scope is 'pose' unless it sets one;
visionbox.pose is then imported through its registry.
The work is done by visionbox.core.engine; a user error (missing file, bad config key, checkpoint
of another model) is one message and exit status 2 (--debug shows the traceback).
"""

import sys

from visionbox.core.cli import run_tool
from visionbox.core.engine import train_main

TASK = "pose"


def main(argv: list[str] | None = None) -> None:
    train_main(TASK, argv)


if __name__ == "__main__":
    sys.exit(run_tool(main))
