"""Models of VisionBox semantic segmentation."""
