"""Generate VisionBox Shapes, the deterministic synthetic data of every task.

python tools/make_shapes.py --task detection --out data/shapes_det [--seed 0]
    [--num-train 300 --num-val 60]
"""

from __future__ import annotations

import argparse
import time

from visionbox.core.datasets.shapes import DEFAULT_COUNTS, TASKS, make_shapes


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", required=True, choices=TASKS)
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--num-train",
        type=int,
        default=None,
        help="training images (sequences for pose3d, mot, sot); default per task: "
        + ", ".join(f"{k}={v[0]}" for k, v in DEFAULT_COUNTS.items()),
    )
    parser.add_argument("--num-val", type=int, default=None, help="validation images or sequences")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    written = make_shapes(
        args.task, args.out, seed=args.seed, num_train=args.num_train, num_val=args.num_val
    )
    print(
        f"VisionBox Shapes {args.task} (seed {args.seed}) in {time.perf_counter() - start:.1f} s:"
    )
    for path in written:
        print(f"  {path}")


if __name__ == "__main__":
    main()
