"""The ``visionbox`` command (also ``python -m visionbox``).

    visionbox train CONFIG [tools/<task>/train.py flags]
    visionbox test CONFIG CHECKPOINT [tools/<task>/test.py flags]
    visionbox predict CONFIG CHECKPOINT INPUT... [--out-dir] [--show] [--score-thr] ...
    visionbox track CONFIG CHECKPOINT VIDEO [--init-bbox X1 Y1 X2 Y2] ...
    visionbox demo {detection,segmentation,pose,tracking} [--work-dir DIR]
    visionbox list-configs [TASK]
    visionbox check CONFIG [--cfg-options ...]
    visionbox export ...            (visionbox.core.deploy)

``--verbose`` (anywhere) shows the environment, the config and the hooks on the terminal;
``--debug`` shows the traceback of a user error. A user error (bad config key, missing file,
bad checkpoint, bad input) prints one message to stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import os.path as osp
import sys
from collections.abc import Callable, Sequence

from mmengine.config import DictAction

from ..utils.errors import USER_ERRORS

__all__ = ["build_parser", "main", "run_tool"]

_GLOBAL_FLAGS = ("--verbose", "--debug")


def _config_task(argv: Sequence[str]) -> str | None:
    """The task of the first positional argument of ``argv`` (a config), if there is one."""
    from .tasks import config_path, find_task

    config = next((a for a in argv if not a.startswith("-")), None)
    return None if config is None else find_task(config_path(config))


def _with_config_path(argv: Sequence[str]) -> list[str]:
    """``argv`` with its first positional (a ``scope::`` config) turned into a file path."""
    from .tasks import config_path

    out, done = [], False
    for arg in argv:
        if not done and not arg.startswith("-"):
            arg, done = config_path(arg), True
        out.append(arg)
    return out


def _train(args: argparse.Namespace) -> int:
    from ..engine import train_main

    task = _config_task(args.rest)
    train_main(task or "core", _with_config_path(args.rest), prog="visionbox train")
    return 0


def _test(args: argparse.Namespace) -> int:
    from ..engine import test_main

    task = _config_task(args.rest)
    test_main(task or "core", _with_config_path(args.rest), prog="visionbox test")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from .predict import run_predict

    return run_predict(args, video=False)


def _track(args: argparse.Namespace) -> int:
    from .predict import run_predict

    return run_predict(args, video=True)


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    run_demo(
        args.task,
        work_dir=args.work_dir,
        cfg_options=args.cfg_options,
        num_train=args.num_train,
        num_val=args.num_val,
    )
    return 0


def _list_configs(args: argparse.Namespace) -> int:
    from .tasks import list_configs

    for name in list_configs(args.task):
        print(name)
    return 0


def _check(args: argparse.Namespace) -> int:
    from .check import check_config

    print(check_config(args.config, cfg_options=args.cfg_options))
    return 0


def _export(args: argparse.Namespace) -> int:
    try:
        from visionbox.core.deploy.cli import main as export_main
    except ModuleNotFoundError as err:
        if not (err.name or "").startswith("visionbox.core.deploy"):
            raise
        print(
            "visionbox export: this installation of visionbox-core has no export module "
            "(visionbox.core.deploy); install a version that has it.",
            file=sys.stderr,
        )
        return 2
    result = export_main(list(args.rest))
    return int(result or 0)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``visionbox`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="visionbox",
        description="VisionBox: train, test, predict with and export vision models.",
        epilog="--verbose shows the full log on the terminal; --debug shows tracebacks.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, run: Callable, help: str, **kwargs) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help, **kwargs)
        p.set_defaults(run=run)
        return p

    for name, run, text in (
        ("train", _train, "train a model (the flags of tools/<task>/train.py)"),
        ("test", _test, "test a checkpoint (the flags of tools/<task>/test.py)"),
        ("export", _export, "export a model to ONNX or torch.export"),
    ):
        p = command(name, run, text, add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)

    from .predict import add_predict_arguments

    add_predict_arguments(command("predict", _predict, "predict on images, folders or videos"))
    add_predict_arguments(command("track", _track, "track objects through a video"), video=True)

    from .demo import DEMOS

    p = command("demo", _demo, "train and test a small model on VisionBox Shapes")
    p.add_argument("task", choices=sorted(DEMOS))
    p.add_argument("--work-dir", default=None, help="default: work_dirs/demo_<task>")
    p.add_argument("--num-train", type=int, default=None, help="Shapes training images")
    p.add_argument("--num-val", type=int, default=None, help="Shapes validation images")
    p.add_argument("--cfg-options", nargs="+", action=DictAction, help="config overrides")

    p = command("list-configs", _list_configs, "list the configs shipped with the packages")
    p.add_argument("task", nargs="?", default=None, help="one task (default: every installed)")

    p = command("check", _check, "validate a config and count its model's parameters")
    p.add_argument("config", help="config file or 'scope::relative/path.py'")
    p.add_argument("--cfg-options", nargs="+", action=DictAction, help="config overrides")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``visionbox`` with ``argv`` (``sys.argv[1:]`` by default); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose, debug = "--verbose" in argv, "--debug" in argv
    argv = [a for a in argv if a not in _GLOBAL_FLAGS]
    from ..engine.console import set_verbose

    set_verbose(verbose)
    passed_on = {"train": _train, "test": _test, "export": _export}
    if argv and argv[0] in passed_on:
        # Their own parsers read every flag (argparse's REMAINDER drops a leading --help).
        args = argparse.Namespace(command=argv[0], rest=argv[1:], run=passed_on[argv[0]])
    else:
        args = build_parser().parse_args(argv)
    return _guarded(lambda: args.run(args), f"visionbox {args.command}", debug)


def _guarded(run: Callable[[], object], name: str, debug: bool) -> int:
    """``run()``'s status (0 when it returns no number: a tool's ``main`` may return its result);
    a user error is one line on stderr and status 2 (unless ``debug``)."""
    try:
        status = run()
        return status if isinstance(status, int) else 0
    except USER_ERRORS as err:
        if debug:
            raise
        print(f"{name}: error: {err}", file=sys.stderr)
        return 2


def run_tool(tool_main: Callable[[list[str]], object], argv: Sequence[str] | None = None) -> int:
    """Run a ``tools/<task>/*.py`` ``main(argv)`` as the ``visionbox`` command runs: a user error
    is one message and status 2, ``--debug`` shows its traceback, ``--verbose`` the full log."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    return _guarded(lambda: tool_main(argv), osp.basename(sys.argv[0]) or "tool", debug)
