"""Hooks and loops of VisionBox multi-object and single-object tracking."""
