"""Datasets and transforms of VisionBox semantic segmentation."""
