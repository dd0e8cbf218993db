"""Models of VisionBox pose estimation."""
