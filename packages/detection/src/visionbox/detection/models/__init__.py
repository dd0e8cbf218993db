"""Models of VisionBox object detection: detectors, dense and RoI heads, task utilities.

Importing this package registers every component in ``visionbox.detection.registry``.
"""

from . import (
    data_preprocessors,
    dense_heads,
    detectors,
    layers,
    necks,
    roi_heads,
    task_modules,
)
from .data_preprocessors import BatchSyncRandomResize, DetDataPreprocessor
from .dense_heads import (
    AnchorHead,
    FCOSHead,
    RetinaHead,
    RPNHead,
    RTMDetHead,
    RTMDetInsSepBNHead,
    RTMDetSepBNHead,
    YOLOXHead,
)
from .detectors import (
    FCOS,
    YOLOX,
    FasterRCNN,
    MaskRCNN,
    RetinaNet,
    RTMDet,
    SingleStageDetector,
    TwoStageDetector,
)
from .layers import ExpMomentumEMA
from .necks import YOLOXPAFPN
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
    DynamicSoftLabelAssigner,
    MaxIoUAssigner,
    MlvlPointGenerator,
    PseudoSampler,
    RandomSampler,
    SimOTAAssigner,
)

__all__ = [
    "FCOS",
    "AnchorHead",
    "FCOSHead",
    "RetinaHead",
    "RetinaNet",
    "RTMDet",
    "RTMDetHead",
    "RTMDetInsSepBNHead",
    "RTMDetSepBNHead",
    "AnchorGenerator",
    "BatchSyncRandomResize",
    "BBoxHead",
    "BboxOverlaps2D",
    "ConvFCBBoxHead",
    "DeltaXYWHBBoxCoder",
    "DetDataPreprocessor",
    "DistancePointBBoxCoder",
    "DoubleConvFCBBoxHead",
    "DynamicSoftLabelAssigner",
    "DoubleHeadRoIHead",
    "ExpMomentumEMA",
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
    "SimOTAAssigner",
    "SingleRoIExtractor",
    "SingleStageDetector",
    "StandardRoIHead",
    "TwoStageDetector",
    "YOLOX",
    "YOLOXHead",
    "YOLOXPAFPN",
    "data_preprocessors",
    "dense_heads",
    "detectors",
    "layers",
    "necks",
    "roi_heads",
    "task_modules",
]
