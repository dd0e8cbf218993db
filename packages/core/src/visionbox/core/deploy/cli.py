"""``visionbox export`` (and ``tools/deploy/export.py``): a config and checkpoint to an end-to-end
ONNX or ``torch.export`` file.

    visionbox export CONFIG [CHECKPOINT] --format {onnx,torch-export} --out FILE
        [--shape H W] [--batch N | --dynamic-batch] [--opset 17] [--verify]
        [--component {detector,reid}] [--cfg-options KEY=VALUE ...]

Everything a user can get wrong (config, checkpoint, format, shape, a missing onnxruntime for
``--verify``) is checked before the model is built or traced. ``--verify`` runs the file and the
eager wrapper on a seeded random input of the exported shape and prints the largest differences.
The input shape defaults to the test pipeline's ``Resize`` scale (padded to the data
preprocessor's ``pad_size_divisor``), a pose codec's ``input_size`` or SiamRPN++'s exemplar and
search sizes; a lifter takes ``--shape CHANNELS FRAMES``.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import math
import os.path as osp
import sys
from collections.abc import Sequence

import torch
from mmengine.config import DictAction

from ..utils.errors import USER_ERRORS, UserError
from .export import EXPORT_FORMATS, export
from .verify import ExportVerificationError, verify

__all__ = ["build_parser", "main", "export_from_config"]

_RESIZES = ("Resize", "FixScaleResize")


def build_parser(prog: str = "visionbox export") -> argparse.ArgumentParser:
    """The parser of ``visionbox export`` (the same flags in ``tools/deploy/export.py``)."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Export a model end to end (network + post-processing)."
    )
    parser.add_argument("config", help="config file or 'scope::path' of a shipped config")
    parser.add_argument("checkpoint", nargs="?", help="checkpoint (random weights without one)")
    parser.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    parser.add_argument("--out", required=True, help="output file (.onnx / .pt2)")
    parser.add_argument("--shape", nargs=2, type=int, metavar=("H", "W"), help="input size")
    batch = parser.add_mutually_exclusive_group()
    batch.add_argument("--batch", type=int, default=1, help="fixed batch size (default 1)")
    batch.add_argument("--dynamic-batch", action="store_true", help="symbolic batch size")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (default 17)")
    parser.add_argument("--verify", action="store_true", help="compare the file with eager")
    parser.add_argument(
        "--component", help="part of a tracking model to export: detector (default) or reid"
    )
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, help="config overrides")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of user errors")
    return parser


def _check_args(args: argparse.Namespace) -> None:
    """The checks that need no model: files, sizes, the extra for ONNX verification."""
    ckpt = args.checkpoint
    if ckpt is not None and "://" not in ckpt and not osp.isfile(ckpt):
        raise FileNotFoundError(f"Checkpoint file not found: {args.checkpoint}")
    if args.batch < 1:
        raise UserError(f"--batch must be at least 1; got {args.batch}")
    if args.shape is not None and min(args.shape) < 1:
        raise UserError(f"--shape must be two positive sizes; got {args.shape}")
    if args.opset < 16 and args.format == "onnx":
        raise UserError(f"--opset must be 16 or above (RoiAlign with aligned); got {args.opset}")
    if args.verify and args.format == "onnx" and importlib.util.find_spec("onnxruntime") is None:
        raise UserError(
            "--verify of an ONNX file needs onnxruntime: pip install 'visionbox-core[export]'"
        )


def _test_resize(cfg) -> tuple[int, int] | None:
    """(h, w) of the test pipeline's ``Resize`` scale (given as (w, h) or (long, short))."""
    pipeline = cfg.get("test_pipeline") or (
        cfg.get("test_dataloader", {}).get("dataset", {}).get("pipeline") or []
    )
    for step in pipeline:
        if isinstance(step, dict) and step.get("type") in (
            "Resize",
            "mmdet.Resize",
            "FixScaleResize",
        ):
            scale = step.get("scale")
            if isinstance(scale, int):
                return scale, scale
            if isinstance(scale, (tuple, list)) and len(scale) == 2:
                w, h = scale
                return (min(w, h), max(w, h)) if step.get("keep_ratio") else (h, w)
    return None


def _input_shapes(cfg, model, args) -> list[tuple[int, ...]]:
    """The example input shapes (one per input), from ``--shape`` or the config."""
    n = 2 if args.dynamic_batch else args.batch
    test_cfg = getattr(model, "test_cfg", None) or {}
    if type(model).__name__ == "SiamRPN":
        z, x = test_cfg["exemplar_size"], test_cfg["search_size"]
        return [(n, 3, z, z), (n, 3, x, x)]
    if type(model).__name__ == "PoseLifter":
        if args.shape is None:
            raise UserError("a lifter needs --shape CHANNELS FRAMES (its 2D input)")
        return [(n, *args.shape)]
    if args.shape is not None:
        return [(n, 3, *args.shape)]
    codec = getattr(getattr(model, "head", None), "decoder", None)
    if codec is not None and hasattr(codec, "input_size"):
        w, h = codec.input_size
        return [(n, 3, h, w)]
    size = _test_resize(cfg)
    if size is None:
        raise UserError(
            f"cannot tell the input size of {cfg.filename}: it has no test Resize; give --shape H W"
        )
    divisor = getattr(getattr(model, "data_preprocessor", None), "pad_size_divisor", 1) or 1
    return [(n, 3, *(math.ceil(s / divisor) * divisor for s in size))]


def export_from_config(args: argparse.Namespace) -> str:
    """Build the model of ``args.config``, load ``args.checkpoint``, export and (optionally)
    verify; return the output path."""
    from ..cli.check import _drop_pretrained
    from ..cli.tasks import config_path, find_task
    from ..engine import load_config, load_model_weights
    from ..registry import MODELS
    from .end2end import end2end

    _check_args(args)
    path = config_path(args.config)
    task = find_task(path)
    cfg = load_config(path, args.cfg_options, default_scope=task)
    model_cfg = copy.deepcopy(cfg.model)
    _drop_pretrained(model_cfg)
    with MODELS.switch_scope_and_registry(cfg.default_scope) as registry:
        model = registry.build(model_cfg)
    if args.checkpoint is not None:
        load_model_weights(model, args.checkpoint)
    else:
        print("no checkpoint given: exporting random weights", file=sys.stderr)
    model.eval()
    wrapper = end2end(model, component=args.component)
    generator = torch.Generator().manual_seed(0)
    inputs = tuple(torch.randn(s, generator=generator) for s in _input_shapes(cfg, model, args))
    out = export(
        wrapper,
        inputs,
        format=args.format,
        path=args.out,
        dynamic_batch=args.dynamic_batch,
        opset=args.opset,
    )
    shapes = ", ".join("x".join(map(str, t.shape)) for t in inputs)
    print(f"exported {type(model).__name__} ({args.format}, input {shapes}) to {out}")
    if args.verify:
        verify(out, wrapper, inputs)
        if args.dynamic_batch:
            verify(out, wrapper, tuple(t[:1] for t in inputs))
    return out


def main(argv: Sequence[str] | None = None, prog: str = "visionbox export") -> int:
    """Run ``visionbox export`` with ``argv``; return the exit status (2: a user error, 1: the
    exported file differs from eager)."""
    args = build_parser(prog).parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        export_from_config(args)
    except USER_ERRORS as err:
        if args.debug:
            raise
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except ExportVerificationError as err:
        print(f"{prog}: verification failed: {err}", file=sys.stderr)
        return 1
    return 0
