"""The public segmentation datasets (mmseg 1.x names, suffixes and metainfo) and VisionBox
Shapes."""

from __future__ import annotations

from typing import Any

from visionbox.core.datasets.shapes import CLASSES as SHAPES_CLASSES
from visionbox.core.datasets.shapes import PALETTE as SHAPES_PALETTE

from ..registry import DATASETS
from .basesegdataset import BaseSegDataset
from .metainfo import ADE20K_METAINFO, CITYSCAPES_METAINFO, VOC_METAINFO

__all__ = ["ADE20KDataset", "CityscapesDataset", "PascalVOCDataset", "ShapesSegDataset"]


@DATASETS.register_module()
class CityscapesDataset(BaseSegDataset):
    """Cityscapes, 19 classes: ``leftImg8bit/<split>/<city>/*_leftImg8bit.png`` with
    ``gtFine/<split>/<city>/*_gtFine_labelTrainIds.png`` label maps (255 ignored). Arguments as
    :class:`BaseSegDataset`."""

    METAINFO = CITYSCAPES_METAINFO

    def __init__(
        self,
        img_suffix: str = "_leftImg8bit.png",
        seg_map_suffix: str = "_gtFine_labelTrainIds.png",
        **kwargs: Any,
    ) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)


@DATASETS.register_module()
class ADE20KDataset(BaseSegDataset):
    """ADE20K (SceneParsing), 150 classes; label 0 is "other", so ``reduce_zero_label=True``.
    Arguments as :class:`BaseSegDataset`."""

    METAINFO = ADE20K_METAINFO

    def __init__(
        self,
        img_suffix: str = ".jpg",
        seg_map_suffix: str = ".png",
        reduce_zero_label: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            reduce_zero_label=reduce_zero_label,
            **kwargs,
        )


@DATASETS.register_module()
class PascalVOCDataset(BaseSegDataset):
    """Pascal VOC 2012, 21 classes (with background); ``ann_file`` is the split file, e.g.
    ``ImageSets/Segmentation/train.txt``. Arguments as :class:`BaseSegDataset`."""

    METAINFO = VOC_METAINFO

    def __init__(
        self,
        ann_file: str,
        img_suffix: str = ".jpg",
        seg_map_suffix: str = ".png",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            ann_file=ann_file, img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs
        )


@DATASETS.register_module()
class ShapesSegDataset(BaseSegDataset):
    """VisionBox Shapes segmentation (``make_shapes('segmentation', root)``): ``img_dir/<split>``
    JPEGs and ``ann_dir/<split>`` PNG label maps, background 0 plus core's Shapes classes.
    Arguments as :class:`BaseSegDataset`."""

    METAINFO = dict(
        classes=("background", *SHAPES_CLASSES),
        palette=[[0, 0, 0], *[list(p) for p in SHAPES_PALETTE]],
    )

    def __init__(
        self, img_suffix: str = ".jpg", seg_map_suffix: str = ".png", **kwargs: Any
    ) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)
