"""Pose visualization."""

from .local_visualizer import PoseLocalVisualizer

__all__ = ["PoseLocalVisualizer"]
