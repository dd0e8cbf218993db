"""Visualizers of VisionBox object detection."""
