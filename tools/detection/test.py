"""Test a VisionBox detection checkpoint and write its metrics to WORK_DIR/metrics.json.

    python tools/detection/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out RESULTS.pkl]
        [--show-dir DIR] [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

The config's default_scope is 'detection' unless it sets one;
visionbox.detection is then imported through its registry.
The work is done by visionbox.core.engine.
"""

from visionbox.core.engine import test_main

TASK = "detection"


def main(argv: list[str] | None = None) -> None:
    test_main(TASK, argv)


if __name__ == "__main__":
    main()
