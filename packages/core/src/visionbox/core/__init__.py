"""VisionBox core: what every VisionBox task package shares.

Registries (:mod:`visionbox.core.registry`), the config system (:mod:`visionbox.core.config`), the
engine that turns a config into a runner (:mod:`visionbox.core.engine`), shared models, data and the
VisionBox Shapes synthetic datasets.

Importing this package (which every VisionBox package does) adds the checkpoint allow-list to
``torch.serialization``'s safe globals, once, so that ``torch.load(weights_only=True)`` and
mmengine's ``load_checkpoint`` read VisionBox checkpoints (see
:mod:`visionbox.core.checkpoint_globals`).
"""

from .checkpoint_globals import register_with_torch
from .version import __version__

register_with_torch()

__all__ = ["__version__"]
