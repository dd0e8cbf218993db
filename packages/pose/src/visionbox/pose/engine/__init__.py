"""Pose hooks."""

from .visualization_hook import PoseVisualizationHook

__all__ = ["PoseVisualizationHook"]
