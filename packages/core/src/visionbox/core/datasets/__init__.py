"""Shared data: dataset bases, transforms, data preprocessors and VisionBox Shapes."""
