"""Train a VisionBox tracking model.

    python tools/tracking/train.py CONFIG [--work-dir DIR] [--resume [CHECKPOINT]] [--amp]
        [--auto-scale-lr] [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

Multi-process: torchrun --nproc_per_node N tools/tracking/train.py CONFIG --launcher pytorch

The config's default_scope is 'tracking' unless it sets one;
visionbox.tracking is then imported through its registry.
The work is done by visionbox.core.engine; a user error (missing file, bad config key, checkpoint
of another model) is one message and exit status 2 (--debug shows the traceback).
"""

import sys

from visionbox.core.cli import run_tool
from visionbox.core.engine import train_main

TASK = "tracking"


def main(argv: list[str] | None = None) -> None:
    train_main(TASK, argv)


if __name__ == "__main__":
    sys.exit(run_tool(main))
