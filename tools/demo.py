"""The VisionBox demo: make VisionBox Shapes, train a model on it, evaluate it, draw predictions.

Runs on a CPU in a few minutes. Each step is the command a user would type, printed before it
runs. The default is detection (Faster R-CNN on a narrow ResNet-18 + FPN, trained from scratch);
``--task segmentation`` trains an FCN on a slim dilated ResNet-18 instead:

    python tools/demo.py [--task {detection,segmentation}] [--work-dir work_dirs/demo]
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: task -> (config, where the config's dataset looks for the data, relative to the repository)
DEMOS = {
    "detection": ("detection::shapes/faster-rcnn_r18_fpn_shapes.py", "data/shapes_det"),
    "segmentation": ("segmentation::shapes/fcn_r18-d8_shapes-256x256.py", "data/shapes_seg"),
}


def run(*args: str) -> None:
    print(f"\n$ python {shlex.join(args)}", flush=True)
    subprocess.run([sys.executable, *args], cwd=REPO, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=sorted(DEMOS), default="detection")
    parser.add_argument("--work-dir", default=None, help="default: work_dirs/demo_<task>")
    args = parser.parse_args()

    from visionbox.core.config import resolve_scoped_path

    start = time.time()
    scoped_config, data_root = DEMOS[args.task]
    config = str(resolve_scoped_path(scoped_config))
    work_dir = Path(args.work_dir or f"work_dirs/demo_{args.task}")
    show_dir = str(work_dir / "show")
    run("tools/make_shapes.py", "--task", args.task, "--out", data_root)
    run(f"tools/{args.task}/train.py", config, "--work-dir", str(work_dir))
    checkpoint = (REPO / work_dir / "last_checkpoint").read_text().strip()
    test = f"tools/{args.task}/test.py"
    run(test, config, checkpoint, "--work-dir", str(work_dir), "--show-dir", show_dir)
    metrics = json.loads((REPO / work_dir / "metrics.json").read_text())
    print(f"\nVisionBox Shapes {args.task}, {time.time() - start:.0f} s on CPU:")
    for key, value in metrics.items():
        print(f"  {key}: {value}")
    print(f"Predictions drawn in {REPO / show_dir}")


if __name__ == "__main__":
    main()
