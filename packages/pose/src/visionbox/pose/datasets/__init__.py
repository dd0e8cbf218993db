"""Datasets and transforms of VisionBox pose estimation."""
