"""The VisionBox demo: make VisionBox Shapes, train a model on it, evaluate it, draw predictions.

Runs on a CPU in a few minutes. Each step is the command a user would type, printed before it
runs. Today's demo is semantic segmentation (FCN on a slim dilated ResNet-18 trained from scratch):

    python tools/demo.py [--work-dir work_dirs/demo]
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
CONFIG = "segmentation::shapes/fcn_r18-d8_shapes-256x256.py"
DATA_ROOT = "data/shapes_seg"  # where the demo config's dataset looks, relative to the repository


def run(*args: str) -> None:
    print(f"\n$ python {shlex.join(args)}", flush=True)
    subprocess.run([sys.executable, *args], cwd=REPO, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", default="work_dirs/demo")
    args = parser.parse_args()

    from visionbox.core.config import resolve_scoped_path

    start = time.time()
    config = str(resolve_scoped_path(CONFIG))
    work_dir = Path(args.work_dir)
    run("tools/make_shapes.py", "--task", "segmentation", "--out", DATA_ROOT)
    run("tools/segmentation/train.py", config, "--work-dir", str(work_dir))
    checkpoint = (REPO / work_dir / "last_checkpoint").read_text().strip()
    show_dir = str(work_dir / "show")
    run(
        "tools/segmentation/test.py",
        config,
        checkpoint,
        "--work-dir",
        str(work_dir),
        "--show-dir",
        show_dir,
    )
    metrics = json.loads((REPO / work_dir / "metrics.json").read_text())
    print(f"\nVisionBox Shapes semantic segmentation, {time.time() - start:.0f} s on CPU:")
    for key, value in metrics.items():
        print(f"  {key}: {value}")
    print(f"Predictions drawn in {REPO / show_dir}")


if __name__ == "__main__":
    main()
