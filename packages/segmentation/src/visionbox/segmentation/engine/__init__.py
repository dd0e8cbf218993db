"""Hooks and loops of VisionBox semantic segmentation."""
