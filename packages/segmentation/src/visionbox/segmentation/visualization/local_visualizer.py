"""``SegLocalVisualizer``: core's visualizer under mmseg's name (label maps blended with the
dataset's palette, ground truth left and prediction right)."""

from __future__ import annotations

from visionbox.core.visualization import LocalVisualizer

from ..registry import VISUALIZERS

__all__ = ["SegLocalVisualizer"]


@VISUALIZERS.register_module()
class SegLocalVisualizer(LocalVisualizer):
    """Segmentation visualizer; arguments as core's :class:`LocalVisualizer`."""
