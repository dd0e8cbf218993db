"""Hooks of VisionBox semantic segmentation."""

from .visualization_hook import SegVisualizationHook

__all__ = ["SegVisualizationHook"]
