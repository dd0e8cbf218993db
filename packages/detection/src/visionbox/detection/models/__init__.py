"""Models of VisionBox object detection: detectors, dense and RoI heads, task utilities.

Importing this package registers every component in ``visionbox.detection.registry``.
"""

from . import (
    data_preprocessors,
    dense_heads,
    detectors,
    layers,
    roi_heads,
    task_modules,
)
from .data_preprocessors import DetDataPreprocessor
from .dense_heads import AnchorHead, FCOSHead, RetinaHead, RPNHead
from .detectors import (
    FCOS,
    FasterRCNN,
    MaskRCNN,
    RetinaNet,
    SingleStageDetector,
    TwoStageDetector,
)
from .roi_heads import (
    BBoxHead,
    ConvFCBBoxHead,
    DoubleConvFCBBoxHead,
    DoubleHeadRoIHead,
    FCNMaskHead,
    Shared2FCBBoxHead,
    Shared4Conv1FCBBoxHead,
    SingleRoIExtractor,
    StandardRoIHead,
)
from .task_modules import (
    AnchorGenerator,
    BboxOverlaps2D,
    DeltaXYWHBBoxCoder,
    DistancePointBBoxCoder,
    MaxIoUAssigner,
    MlvlPointGenerator,
    PseudoSampler,
    RandomSampler,
)

__all__ = [
    "FCOS",
    "AnchorHead",
    "FCOSHead",
    "RetinaHead",
    "RetinaNet",
    "AnchorGenerator",
    "BBoxHead",
    "BboxOverlaps2D",
    "ConvFCBBoxHead",
    "DeltaXYWHBBoxCoder",
    "DetDataPreprocessor",
    "DistancePointBBoxCoder",
    "DoubleConvFCBBoxHead",
    "DoubleHeadRoIHead",
    "FCNMaskHead",
    "FasterRCNN",
    "MaskRCNN",
    "MaxIoUAssigner",
    "MlvlPointGenerator",
    "PseudoSampler",
    "RPNHead",
    "RandomSampler",
    "Shared2FCBBoxHead",
    "Shared4Conv1FCBBoxHead",
    "SingleRoIExtractor",
    "SingleStageDetector",
    "StandardRoIHead",
    "TwoStageDetector",
    "data_preprocessors",
    "dense_heads",
    "detectors",
    "layers",
    "roi_heads",
    "task_modules",
]
