"""``DetLocalVisualizer``: core's visualizer under mmdet's name (boxes with class names and
scores, instance masks; ground truth left, predictions right)."""

from __future__ import annotations

from visionbox.core.visualization import LocalVisualizer

from ..registry import VISUALIZERS

__all__ = ["DetLocalVisualizer"]


@VISUALIZERS.register_module()
class DetLocalVisualizer(LocalVisualizer):
    """Detection visualizer; arguments as core's :class:`LocalVisualizer`."""
