"""Metrics of VisionBox multi-object and single-object tracking."""
