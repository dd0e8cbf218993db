"""``YOLOXHSVRandomAug`` lives in core (the pose recipes use it too). The same class is
registered in detection's ``TRANSFORMS`` so that ``'detection.YOLOXHSVRandomAug'`` and imports
from here keep working."""

from visionbox.core.datasets.transforms.hsv import YOLOXHSVRandomAug

from ...registry import TRANSFORMS

TRANSFORMS.register_module(module=YOLOXHSVRandomAug)

__all__ = ["YOLOXHSVRandomAug"]
