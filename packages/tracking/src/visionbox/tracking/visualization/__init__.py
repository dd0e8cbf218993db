"""Visualization of tracking results."""

from .track_local_visualizer import TrackLocalVisualizer

__all__ = ["TrackLocalVisualizer"]
