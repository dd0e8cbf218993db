"""VisionBox object detection."""

from visionbox.core import __version__

__all__ = ["__version__"]
