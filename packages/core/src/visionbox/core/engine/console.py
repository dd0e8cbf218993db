"""What a training or test run shows on the terminal, and what only its log file keeps.

Quiet by default (``set_verbose(True)`` / ``--verbose`` shows everything): the terminal shows
warnings and errors, the training progress, one line of validation metrics and where the
checkpoints go; the environment dump, the full config print, the hook table and the metrics'
intermediate tables go to the run's log file only, and mmengine's ``FileClient`` /
``HardDiskBackend`` deprecation warnings (and its notice about metrics without a prefix) nowhere
on the terminal. On a terminal,
:class:`ProgressBarHook` draws one progress line with the ETA and the per-iteration log lines go
to the file; elsewhere (a pipe, CI) the plain log lines stay. A test's metrics are printed once,
as a table (:func:`format_metrics`), by the command that ran it.

:func:`quiet_console` installs the filter on a logger's terminal handlers (never on its file
handler); :class:`~.runner.VisionBoxRunner` calls it on the logger it builds.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any

from mmengine.hooks import Hook

from ..registry import HOOKS

__all__ = [
    "ConsoleFilter",
    "ProgressBarHook",
    "format_metrics",
    "is_verbose",
    "log_to_file_only",
    "quiet_console",
    "set_verbose",
    "stdout_to_log",
]

_state = {"verbose": False, "progress_bar": False}

#: mmengine's warnings that no user can act on: never on the terminal. (Metrics without a
#: prefix, such as ``IoUMetric`` or ``PCKAccuracy``, report their keys unprefixed on purpose,
#: as in mmseg / mmpose.)
_DEPRECATIONS = (
    '"FileClient" will be deprecated',
    '"HardDiskBackend" is the alias',
    "The prefix is not set in metric class",
)
#: Per-iteration lines of mmengine's LoggerHook, replaced by the progress bar on a terminal.
_ITERATION_LINES = ("Epoch(train)", "Iter(train)")
#: The INFO lines a quiet terminal shows besides those (one line of validation metrics, where
#: the checkpoints go); every other INFO record (environment, config, hooks, the metrics'
#: intermediate tables) is for the log file.
_VAL_LINES = ("Epoch(val)", "Iter(val)")
_TERMINAL_LINES = (*_VAL_LINES, "Checkpoints will be saved to")


def set_verbose(verbose: bool) -> None:
    """Show everything on the terminal (``True``) or keep it quiet (the default)."""
    _state["verbose"] = bool(verbose)


def is_verbose() -> bool:
    """Whether the terminal shows everything (see :func:`set_verbose`)."""
    return _state["verbose"]


class ConsoleFilter(logging.Filter):
    """Drops, from a terminal handler, what belongs to the log file only (module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "file_only", False):
            return False
        message = record.getMessage()
        if message.startswith(_DEPRECATIONS):
            return False
        if _state["verbose"] or record.levelno >= logging.WARNING:
            return True
        if message.startswith(_ITERATION_LINES) or (
            message.startswith(_VAL_LINES) and "eta:" in message
        ):  # per-iteration lines (validation's summary line has no ETA)
            return not _state["progress_bar"]
        return message.startswith(_TERMINAL_LINES)


def _is_terminal_handler(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.StreamHandler) and not isinstance(
        handler, logging.FileHandler
    )


def quiet_console(logger: logging.Logger) -> None:
    """Install :class:`ConsoleFilter` on the terminal handlers of ``logger`` (once)."""
    for handler in logger.handlers:
        if _is_terminal_handler(handler) and not any(
            isinstance(f, ConsoleFilter) for f in handler.filters
        ):
            handler.addFilter(ConsoleFilter())


def log_to_file_only(logger: logging.Logger, message: str) -> None:
    """Log ``message`` at INFO to the file handlers of ``logger`` and not to the terminal."""
    logger.info(message, extra={"file_only": True})


@contextlib.contextmanager
def stdout_to_log(logger: logging.Logger) -> Iterator[None]:
    """Send what is ``print``-ed meanwhile (pycocotools' summary tables) to the log file only.

    Verbose runs print as usual.
    """
    if _state["verbose"]:
        yield
        return
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            yield
    finally:
        text = buffer.getvalue().rstrip()
        if text:
            log_to_file_only(logger, text)


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, (list, tuple)) and len(value) > 6:
        return f"[{len(value)} values]"
    return str(value)


def format_metrics(metrics: Mapping[str, Any], title: str = "metrics") -> str:
    """The metrics as a two-column text table, one metric per row, in their order."""
    rows = [(str(k), _format_value(v)) for k, v in metrics.items()]
    if not rows:
        return f"{title}: none"
    width = max(len(title), *(len(k) for k, _ in rows))
    vwidth = max(len("value"), *(len(v) for _, v in rows))
    rule = f"+-{'-' * width}-+-{'-' * vwidth}-+"
    lines = [rule, f"| {title:<{width}} | {'value':>{vwidth}} |", rule]
    lines += [f"| {k:<{width}} | {v:>{vwidth}} |" for k, v in rows]
    lines.append(rule)
    return "\n".join(lines)


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """One terminal line of training progress: ``epoch 3/12 [#####.....] 150/600 eta 0:01:23``.

    Redraws at most every ``interval`` seconds with the latest loss; while it is active the
    terminal does not show the per-iteration log lines (they stay in the log file).

    Args:
        interval: Least seconds between two redraws.
        width: Characters of the bar.
    """

    priority = "BELOW_NORMAL"

    def __init__(self, interval: float = 0.2, width: int = 30) -> None:
        if interval < 0 or width < 1:
            raise ValueError(f"interval must be >= 0 and width >= 1, got {interval}, {width}")
        self.interval = interval
        self.width = width
        self._start = 0.0
        self._start_iter = 0
        self._last = 0.0
        # The terminal as it is when the runner builds its hooks: training may redirect
        # ``sys.stdout`` (:func:`stdout_to_log`) afterwards.
        self._stream = sys.stdout

    def before_train(self, runner: Any) -> None:
        _state["progress_bar"] = True
        self._start = self._last = time.perf_counter()
        self._start_iter = runner.iter

    def _line(self, runner: Any) -> str:
        done, total = runner.iter + 1, max(runner.max_iters, 1)
        elapsed = time.perf_counter() - self._start
        rate = elapsed / max(done - self._start_iter, 1)
        eta = int(rate * (total - done))
        filled = int(self.width * done / total)
        bar = "#" * filled + "." * (self.width - filled)
        by_epoch = "Epoch" in type(runner.train_loop).__name__  # iteration loops have no epochs
        epoch = f"epoch {runner.epoch + 1}/{runner.max_epochs} " if by_epoch else ""
        loss = runner.message_hub.log_scalars.get("train/loss")
        tail = f" loss {loss.current():.4f}" if loss is not None and len(loss.data[0]) else ""
        return (
            f"\r{epoch}[{bar}] {done}/{total} eta {eta // 3600}:{eta % 3600 // 60:02d}:"
            f"{eta % 60:02d}{tail}"
        )

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None, outputs=None):
        now = time.perf_counter()
        if now - self._last < self.interval and runner.iter + 1 < runner.max_iters:
            return
        self._last = now
        self._stream.write(self._line(runner))
        self._stream.flush()

    def before_val(self, runner: Any) -> None:
        self._stream.write("\n")
        self._stream.flush()

    def after_train(self, runner: Any) -> None:
        _state["progress_bar"] = False
        self._stream.write("\n")
        self._stream.flush()
