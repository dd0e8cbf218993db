"""Test a VisionBox segmentation checkpoint and write its metrics to WORK_DIR/metrics.json.

    python tools/segmentation/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out RESULTS.pkl]
        [--show-dir DIR] [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

The config's default_scope is 'segmentation' unless it sets one;
visionbox.segmentation is then imported through its registry.
The work is done by visionbox.core.engine.
"""

from visionbox.core.engine import test_main

TASK = "segmentation"


def main(argv: list[str] | None = None) -> None:
    test_main(TASK, argv)


if __name__ == "__main__":
    main()
