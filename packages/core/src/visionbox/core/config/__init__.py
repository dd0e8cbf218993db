"""VisionBox configuration system built on :class:`mmengine.config.Config`."""

from __future__ import annotations

from mmengine.config import Config as _MMConfig

__all__ = ["Config"]


class Config(_MMConfig):
    """VisionBox configuration object (an :class:`mmengine.config.Config`)."""
