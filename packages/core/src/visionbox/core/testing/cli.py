"""Helpers for tests that run VisionBox's commands in fresh processes on tiny Shapes data."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["repo_root", "run_python", "run_visionbox", "train_tiny"]


def repo_root() -> Path:
    """The repository checkout that holds ``tools/`` (tests run from a checkout)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "tools" / "make_shapes.py").is_file():
            return parent
    cwd = Path.cwd()
    if (cwd / "tools" / "make_shapes.py").is_file():
        return cwd
    raise FileNotFoundError("No VisionBox checkout (with tools/) above this file or the cwd.")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env["PYTHONWARNINGS"] = "ignore"
    return env


def run_python(args: Sequence[str], cwd: str | os.PathLike, timeout: float = 600):
    """``python ARGS`` in ``cwd``; the completed process (stdout and stderr as text)."""
    return subprocess.run(
        [sys.executable, *map(str, args)],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_visionbox(args: Sequence[str], cwd: str | os.PathLike, timeout: float = 600):
    """``python -m visionbox ARGS`` in ``cwd`` (the installed command's code path)."""
    return run_python(["-m", "visionbox", *args], cwd, timeout)


def train_tiny(
    task: str, config: str, cwd: str | os.PathLike, work_dir: str, options: Sequence[str]
) -> str:
    """Train with ``tools/<task>/train.py`` in ``cwd`` and return the last checkpoint's path.

    Raises:
        AssertionError: with the command's output when training fails.
    """
    tool = repo_root() / "tools" / task / "train.py"
    done = run_python(
        [tool, config, "--work-dir", work_dir, "--cfg-options", *options], cwd, timeout=900
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return (Path(cwd) / work_dir / "last_checkpoint").read_text().strip()
