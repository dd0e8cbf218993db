"""VisionBox core: what every VisionBox task package shares.

Registries (:mod:`visionbox.core.registry`), the config system (:mod:`visionbox.core.config`), the
engine that turns a config into a runner (:mod:`visionbox.core.engine`), shared models, data and the
VisionBox Shapes synthetic datasets.
"""

from .version import __version__

__all__ = ["__version__"]
