"""Models of VisionBox object detection."""
