"""VisionBox semantic segmentation."""

from visionbox.core import __version__

__all__ = ["__version__"]
