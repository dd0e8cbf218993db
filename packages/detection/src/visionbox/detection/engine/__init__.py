"""Hooks and loops of VisionBox object detection."""
