"""Command lines of ``tools/<task>/train.py`` and ``tools/<task>/test.py`` (the OpenMMLab flags).

train: ``config [--work-dir DIR] [--resume [PATH]] [--amp] [--auto-scale-lr]
[--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}] [--local_rank N]``

test: ``config checkpoint [--work-dir DIR] [--out FILE.pkl] [--show-dir DIR] [--allow-partial]
[--no-fuse] [--compile] [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]
[--local_rank N]``
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from mmengine.config import DictAction

from .builder import test, train
from .console import format_metrics, is_verbose, set_verbose

__all__ = ["train_parser", "test_parser", "train_main", "test_main"]


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--work-dir", help="folder for logs and checkpoints")
    parser.add_argument(
        "--cfg-options",
        nargs="+",
        action=DictAction,
        help="override config keys, e.g. train_cfg.max_epochs=2 'model.backbone.depth=18'",
    )
    parser.add_argument(
        "--launcher",
        choices=["none", "pytorch", "slurm", "mpi"],
        default="none",
        help="job launcher (pytorch = torchrun)",
    )
    parser.add_argument("--local_rank", "--local-rank", type=int, default=0)
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show the environment, the config and the hooks on the terminal, not only in the log",
    )


def train_parser(task: str, prog: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``tools/<task>/train.py`` (``visionbox train`` with ``prog``)."""
    parser = argparse.ArgumentParser(prog=prog, description=f"Train a VisionBox {task} model.")
    parser.add_argument("config", help="config file path")
    parser.add_argument(
        "--resume",
        nargs="?",
        const="auto",
        help="resume from PATH, or without PATH from the last checkpoint in the work dir",
    )
    parser.add_argument("--amp", action="store_true", help="mixed precision (needs a GPU)")
    parser.add_argument(
        "--auto-scale-lr",
        action="store_true",
        help="scale the learning rate by the total batch size (config's auto_scale_lr)",
    )
    _add_common(parser)
    return parser


def test_parser(task: str, prog: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``tools/<task>/test.py`` (``visionbox test`` with ``prog``)."""
    parser = argparse.ArgumentParser(prog=prog, description=f"Test a VisionBox {task} model.")
    parser.add_argument("config", help="config file path")
    parser.add_argument("checkpoint", help="checkpoint file")
    parser.add_argument("--out", help="dump the raw predictions to this .pkl file")
    parser.add_argument("--show-dir", help="save visualized predictions to this folder")
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="test a checkpoint whose weights cover the model only in part (else refused)",
    )
    parser.add_argument(
        "--no-fuse",
        action="store_true",
        help="test the model as trained (default: BatchNorms folded into their convolutions)",
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="also torch.compile the backbone and neck (pays for fixed-size inputs; measure)",
    )
    _add_common(parser)
    return parser


def _export_local_rank(local_rank: int) -> None:
    # torchrun sets LOCAL_RANK; older launchers pass --local_rank instead.
    os.environ.setdefault("LOCAL_RANK", str(local_rank))


def train_main(task: str, argv: Sequence[str] | None = None, prog: str | None = None) -> None:
    """Parse ``argv`` and train with ``default_scope=task`` unless the config sets a scope."""
    args = train_parser(task, prog).parse_args(argv)
    _export_local_rank(args.local_rank)
    set_verbose(args.verbose or is_verbose())
    train(
        args.config,
        work_dir=args.work_dir,
        resume=args.resume,
        amp=args.amp,
        auto_scale_lr=args.auto_scale_lr,
        cfg_options=args.cfg_options,
        launcher=args.launcher,
        default_scope=task,
    )


def test_main(task: str, argv: Sequence[str] | None = None, prog: str | None = None) -> None:
    """Parse ``argv``, test with ``default_scope=task`` unless the config sets a scope, and print
    the metrics as a table."""
    args = test_parser(task, prog).parse_args(argv)
    _export_local_rank(args.local_rank)
    set_verbose(args.verbose or is_verbose())
    metrics = test(
        args.config,
        args.checkpoint,
        work_dir=args.work_dir,
        out=args.out,
        show_dir=args.show_dir,
        cfg_options=args.cfg_options,
        launcher=args.launcher,
        default_scope=task,
        allow_partial=args.allow_partial,
        fuse=not args.no_fuse,
        compile=args.compile,
    )
    if int(os.environ.get("RANK", "0")) == 0:
        print(format_metrics(metrics, title=f"{task} test"))


# Names that start with "test" are not pytest tests when imported into a test module.
test_parser.__test__ = False  # type: ignore[attr-defined]
test_main.__test__ = False  # type: ignore[attr-defined]
