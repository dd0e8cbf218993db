"""Metrics of VisionBox object detection."""
