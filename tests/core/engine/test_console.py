"""The quiet terminal: what reaches the terminal handler, what only the log file, the table."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from visionbox.core.engine.console import (
    ConsoleFilter,
    ProgressBarHook,
    format_metrics,
    is_verbose,
    quiet_console,
    set_verbose,
    stdout_to_log,
)

ENV_DUMP = "\n" + "-" * 60 + "\nSystem environment:\n    sys.platform: linux"


@pytest.fixture()
def logger(tmp_path):
    log = logging.getLogger(f"visionbox-console-test-{id(tmp_path)}")
    log.setLevel(logging.INFO)
    log.propagate = False
    terminal = io.StringIO()
    log.addHandler(logging.StreamHandler(terminal))
    log.addHandler(logging.FileHandler(tmp_path / "run.log"))
    quiet_console(log)
    quiet_console(log)  # installing twice adds one filter
    yield log, terminal, tmp_path / "run.log"
    for handler in list(log.handlers):
        handler.close()
        log.removeHandler(handler)
    set_verbose(False)


def _emit_run(log: logging.Logger) -> None:
    log.info(ENV_DUMP)
    log.info("Config:\nmodel = dict(type='FasterRCNN')")
    log.info("Hooks will be executed in the following order:\nbefore_run:")
    log.warning('"FileClient" will be deprecated in future. Please use io functions')
    log.warning("The prefix is not set in metric class IoUMetric.")
    log.info("Checkpoints will be saved to /tmp/work.")
    log.info("Epoch(train)  [1][10/38]  lr: 2.0e-04  loss: 2.2150")
    log.info("Evaluating bbox...")
    log.info("Epoch(val) [1][2/4]    eta: 0:00:01  time: 0.0318  data_time: 0.0031")
    log.info("Epoch(val) [1][4/4]    coco/bbox_mAP: 0.9020")
    log.info("Epoch(test) [4/4]    coco/bbox_mAP: 0.9020")
    log.warning("a real warning")


def test_quiet_terminal_keeps_only_progress_and_warnings(logger):
    log, terminal, log_file = logger
    assert not is_verbose()
    assert sum(isinstance(f, ConsoleFilter) for f in log.handlers[0].filters) == 1
    _emit_run(log)
    shown = terminal.getvalue().splitlines()
    assert shown == [
        "Checkpoints will be saved to /tmp/work.",
        "Epoch(train)  [1][10/38]  lr: 2.0e-04  loss: 2.2150",
        "Epoch(val) [1][2/4]    eta: 0:00:01  time: 0.0318  data_time: 0.0031",
        "Epoch(val) [1][4/4]    coco/bbox_mAP: 0.9020",
        "a real warning",
    ]
    kept = log_file.read_text()
    for text in ("System environment", "Config:", "Hooks will be executed", "Epoch(test)"):
        assert text in kept


def test_progress_bar_replaces_the_iteration_lines(logger, monkeypatch):
    log, terminal, log_file = logger
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    hook = ProgressBarHook(interval=0)
    hook.before_train(_Runner())
    try:
        _emit_run(log)
    finally:
        hook.after_train(_Runner())
    shown = terminal.getvalue().splitlines()
    assert shown == [
        "Checkpoints will be saved to /tmp/work.",
        "Epoch(val) [1][4/4]    coco/bbox_mAP: 0.9020",
        "a real warning",
    ]
    assert "Epoch(val) [1][2/4]" in log_file.read_text()


def test_verbose_shows_everything_but_the_deprecations(logger):
    log, terminal, _ = logger
    set_verbose(True)
    _emit_run(log)
    shown = terminal.getvalue()
    assert "System environment" in shown and "Hooks will be executed" in shown
    assert "Evaluating bbox" in shown and "FileClient" not in shown
    assert "The prefix is not set" not in shown


def test_stdout_goes_to_the_log_file_when_quiet(logger):
    log, terminal, log_file = logger
    real = sys.stdout
    with stdout_to_log(log):
        print(" Average Precision  (AP) @[ IoU=0.50:0.95 ] = 0.902")
        assert sys.stdout is not real
    assert sys.stdout is real
    assert "Average Precision" in log_file.read_text() and terminal.getvalue() == ""


def test_metrics_table_has_one_row_per_metric():
    table = format_metrics({"coco/bbox_mAP": 0.90234, "coco/bbox_mAP_50": 1.0, "n": 3}, "test")
    rows = table.splitlines()
    assert len(rows) == 7 and rows[0] == rows[2] == rows[-1] and rows[0].startswith("+-")
    assert "| coco/bbox_mAP    | 0.9023 |" in rows and rows[5].endswith("|      3 |")
    assert format_metrics({}, "test") == "test: none"


class _Hub:
    def __init__(self):
        self.log_scalars = {}


class _Runner:
    def __init__(self):
        self.iter, self.max_iters, self.epoch, self.max_epochs = 0, 4, 0, 2
        self.train_loop = type("EpochBasedTrainLoop", (), {})()
        self.message_hub = _Hub()


def test_progress_bar_draws_one_line_with_eta(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    hook = ProgressBarHook(interval=0)
    runner = _Runner()
    hook.before_train(runner)
    for i in range(4):
        runner.iter = i
        hook.after_train_iter(runner, i)
    hook.after_train(runner)
    frames = stream.getvalue().split("\r")[1:]
    assert len(frames) == 4 and frames[0].startswith("epoch 1/2 [")
    assert "4/4 eta 0:00:00" in frames[-1] and frames[-1].endswith("\n")
    assert "#" * 30 in frames[-1]
    with pytest.raises(ValueError, match="width"):
        ProgressBarHook(width=0)
    runner.train_loop = type("IterBasedTrainLoop", (), {})()
    assert hook._line(runner).startswith("\r[")  # no epochs in an iteration-based run
