"""Visualizers of VisionBox semantic segmentation."""
