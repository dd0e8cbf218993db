"""Visualizers of VisionBox semantic segmentation."""

from .local_visualizer import SegLocalVisualizer

__all__ = ["SegLocalVisualizer"]
