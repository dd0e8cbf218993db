"""Metrics of VisionBox pose estimation."""
