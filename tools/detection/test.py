"""Test a VisionBox detection checkpoint and write its metrics to WORK_DIR/metrics.json.

    python tools/detection/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out RESULTS.pkl]
        [--show-dir DIR] [--no-fuse] [--allow-partial] [--cfg-options KEY=VALUE ...]
        [--launcher {none,pytorch,slurm,mpi}]

The config's default_scope is 'detection' unless it sets one;
visionbox.detection is then imported through its registry.
The work is done by visionbox.core.engine; a user error (missing file, bad config key, checkpoint
of another model) is one message and exit status 2 (--debug shows the traceback).
"""

import sys

from visionbox.core.cli import run_tool
from visionbox.core.engine import test_main

TASK = "detection"


def main(argv: list[str] | None = None) -> None:
    test_main(TASK, argv)


if __name__ == "__main__":
    sys.exit(run_tool(main))
