"""Visualizers of VisionBox pose estimation."""
