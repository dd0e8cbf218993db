"""Datasets and transforms of VisionBox object detection."""
