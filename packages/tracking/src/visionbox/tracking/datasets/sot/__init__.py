"""Single-object tracking datasets."""

from .base_sot_dataset import (
    BaseSOTDataset,
    read_sequence_file,
    read_sequence_list,
    xywh_to_xyxy,
)
from .coco_sot import SOTCocoDataset, SOTImageNetVIDDataset
from .layouts import GOT10kDataset, LaSOTDataset, OTBDataset, ShapesSOTDataset, TrackingNetDataset
from .quota_sampler import QuotaSampler
from .wrappers import RandomSampleConcatDataset

__all__ = [
    "BaseSOTDataset",
    "GOT10kDataset",
    "LaSOTDataset",
    "OTBDataset",
    "QuotaSampler",
    "RandomSampleConcatDataset",
    "SOTCocoDataset",
    "SOTImageNetVIDDataset",
    "ShapesSOTDataset",
    "TrackingNetDataset",
    "read_sequence_file",
    "read_sequence_list",
    "xywh_to_xyxy",
]
