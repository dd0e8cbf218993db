"""Generic transforms on OpenCV and NumPy, one family per module (see :mod:`.base` for the keys)."""

from .base import BaseTransform
from .crop_pad import Pad, RandomCrop
from .flip import RandomFlip
from .formatting import ImageToTensor, PackInputs
from .hsv import YOLOXHSVRandomAug
from .loading import LoadImageFromFile, LoadImageFromNDArray
from .photometric import PhotoMetricDistortion
from .resize import RandomChoiceResize, RandomResize, Resize
from .wrappers import Compose, RandomApply, RandomChoice, TestTimeAug

__all__ = [
    "BaseTransform",
    "Compose",
    "ImageToTensor",
    "LoadImageFromFile",
    "LoadImageFromNDArray",
    "PackInputs",
    "Pad",
    "PhotoMetricDistortion",
    "RandomApply",
    "RandomChoice",
    "RandomChoiceResize",
    "RandomCrop",
    "RandomFlip",
    "RandomResize",
    "Resize",
    "TestTimeAug",
    "YOLOXHSVRandomAug",
]
