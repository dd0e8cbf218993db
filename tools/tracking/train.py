"""Train a VisionBox tracking model.

    python tools/tracking/train.py CONFIG [--work-dir DIR] [--resume [CHECKPOINT]] [--amp]
        [--auto-scale-lr] [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

Multi-process: torchrun --nproc_per_node N tools/tracking/train.py CONFIG --launcher pytorch

The config's default_scope is 'tracking' unless it sets one;
visionbox.tracking is then imported through its registry.
The work is done by visionbox.core.engine.
"""

from visionbox.core.engine import train_main

TASK = "tracking"


def main(argv: list[str] | None = None) -> None:
    train_main(TASK, argv)


if __name__ == "__main__":
    main()
