"""Metrics of VisionBox semantic segmentation."""
