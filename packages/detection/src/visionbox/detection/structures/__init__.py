"""Detection data structures: ``DetDataSample`` and box helpers."""

from .bbox import (
    bbox2roi,
    bbox_cxcywh_to_xyxy,
    bbox_overlaps,
    bbox_xyxy_to_cxcywh,
    empty_box_as,
    get_box_wh,
    roi2bbox,
    scale_boxes,
)
from .det_data_sample import DetDataSample, OptSampleList, SampleList

__all__ = [
    "DetDataSample",
    "OptSampleList",
    "SampleList",
    "bbox2roi",
    "bbox_cxcywh_to_xyxy",
    "bbox_overlaps",
    "bbox_xyxy_to_cxcywh",
    "empty_box_as",
    "get_box_wh",
    "roi2bbox",
    "scale_boxes",
]
