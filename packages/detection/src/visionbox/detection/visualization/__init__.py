"""Visualizers of VisionBox object detection."""

from .local_visualizer import DetLocalVisualizer

__all__ = ["DetLocalVisualizer"]
