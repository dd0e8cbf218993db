"""Datasets and transforms of VisionBox multi-object and single-object tracking."""
