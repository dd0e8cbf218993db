"""Hooks and loops of VisionBox pose estimation."""
