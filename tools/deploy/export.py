"""Export a model end to end to ONNX or torch.export (the same as ``visionbox export``).

    python tools/deploy/export.py CONFIG [CHECKPOINT] --format {onnx,torch-export} --out FILE \
        [--shape H W] [--batch N | --dynamic-batch] [--opset 17] [--verify]
"""

import sys

from visionbox.core.deploy.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="tools/deploy/export.py"))
