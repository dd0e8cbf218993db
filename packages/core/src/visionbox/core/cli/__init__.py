"""The ``visionbox`` command line: ``visionbox.core.cli:main`` (see :mod:`.main`)."""

from .main import build_parser, main, run_tool

__all__ = ["build_parser", "main", "run_tool"]
