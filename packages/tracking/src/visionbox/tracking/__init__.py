"""VisionBox multi-object and single-object tracking."""

from visionbox.core import __version__

__all__ = ["__version__"]
