"""Hooks of VisionBox object detection."""

from .visualization_hook import DetVisualizationHook

__all__ = ["DetVisualizationHook"]
