"""``BaseSegDataset``: images and PNG label maps in ``img_dir`` / ``ann_dir`` folders (mmseg 1.x).

Layout::

    data_root/
      <data_prefix.img_path>/xxx{img_suffix}
      <data_prefix.seg_map_path>/xxx{seg_map_suffix}

Without ``ann_file`` every image under ``img_path`` (recursively, sorted) is a sample; with
``ann_file`` each of its lines names one sample (the path without the suffix).

When ``metainfo['classes']`` is a subset of the class's ``METAINFO`` classes, a ``label_map``
(old id -> new id, 255 for dropped classes) goes into each data info; ``LoadAnnotations`` applies
it, so the model and the metric see only the chosen classes.
"""

from __future__ import annotations

import copy
import os
import os.path as osp
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.fileio import list_from_file

from visionbox.core.utils import merge_kwargs_signature

from ..registry import DATASETS, TRANSFORMS

__all__ = ["BaseSegDataset"]


@DATASETS.register_module()
class BaseSegDataset(BaseDataset):
    """Semantic segmentation dataset of image / label-map folders.

    Args:
        ann_file: Optional split file (one sample name per line), relative to ``data_root``.
        img_suffix: Suffix of the images.
        seg_map_suffix: Suffix of the label maps.
        metainfo: ``classes`` / ``palette`` overriding ``METAINFO`` (a subset of the classes
            gives a label map).
        data_root: Root of ``ann_file`` and ``data_prefix``.
        data_prefix: ``dict(img_path=..., seg_map_path=...)``.
        filter_cfg: Unused by segmentation datasets (kept for mmengine's interface).
        indices: Keep only the first ``indices`` samples, or these indices.
        serialize_data: Keep the data list as one numpy buffer.
        pipeline: Transforms.
        test_mode: Testing mode.
        lazy_init: Defer scanning the folders until first use.
        max_refetch: Samples to try when the pipeline returns ``None``.
        ignore_index: Label of ignored pixels.
        reduce_zero_label: Label 0 means "ignore" and every other label moves down by one.
        backend_args: Arguments of the mmengine file backend.
    """

    METAINFO: dict = dict()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        merge_kwargs_signature(cls)

    def __init__(
        self,
        ann_file: str = "",
        img_suffix: str = ".jpg",
        seg_map_suffix: str = ".png",
        metainfo: Mapping | None = None,
        data_root: str | None = None,
        data_prefix: dict | None = None,
        filter_cfg: dict | None = None,
        indices: int | Sequence[int] | None = None,
        serialize_data: bool = True,
        pipeline: Sequence[dict | Callable] = (),
        test_mode: bool = False,
        lazy_init: bool = False,
        max_refetch: int = 1000,
        ignore_index: int = 255,
        reduce_zero_label: bool = False,
        backend_args: dict | None = None,
    ) -> None:
        from visionbox.core.datasets.transforms.wrappers import Compose

        prefix = dict(img_path="", seg_map_path="")
        if data_prefix is not None:
            unknown = set(data_prefix) - set(prefix)
            if unknown:
                raise KeyError(
                    f"{type(self).__name__} data_prefix keys are img_path and seg_map_path, "
                    f"got {sorted(unknown)}."
                )
            prefix.update(data_prefix)
        self.img_suffix = img_suffix
        self.seg_map_suffix = seg_map_suffix
        self.ignore_index = ignore_index
        self.reduce_zero_label = reduce_zero_label
        self.backend_args = copy.deepcopy(backend_args)
        super().__init__(
            ann_file=ann_file,
            metainfo=copy.deepcopy(dict(metainfo)) if metainfo is not None else None,
            data_root=data_root or "",
            data_prefix=prefix,
            filter_cfg=filter_cfg,
            indices=indices,
            serialize_data=serialize_data,
            pipeline=[],
            test_mode=test_mode,
            lazy_init=True,
            max_refetch=max_refetch,
        )
        # Built here from the segmentation registry, so that its transforms (LoadAnnotations,
        # PackSegInputs, RandomCrop) resolve whatever the default scope is.
        self.pipeline = Compose(
            [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        )
        new_classes = self._metainfo.get("classes")
        self.label_map = self.get_label_map(new_classes)
        self._metainfo.update(label_map=self.label_map, reduce_zero_label=self.reduce_zero_label)
        palette = self._update_palette()
        if palette is not None:
            self._metainfo["palette"] = palette
        if not lazy_init:
            self.full_init()

    @classmethod
    def get_label_map(cls, new_classes: Sequence[str] | None = None) -> dict[int, int] | None:
        """``{old_id: new_id}`` when ``new_classes`` differ from ``METAINFO['classes']``; ids of
        dropped classes map to 255. ``None`` when the classes are unchanged.

        Raises:
            ValueError: when a new class is not one of the dataset's classes.
        """
        old_classes = cls.METAINFO.get("classes")
        if new_classes is None or old_classes is None or list(new_classes) == list(old_classes):
            return None
        unknown = [c for c in new_classes if c not in old_classes]
        if unknown:
            raise ValueError(
                f"{cls.__name__}: classes {unknown} are not among its classes {list(old_classes)}."
            )
        return {
            i: (list(new_classes).index(c) if c in new_classes else 255)
            for i, c in enumerate(old_classes)
        }

    def _update_palette(self) -> list | None:
        palette = self._metainfo.get("palette")
        classes = self._metainfo.get("classes")
        if classes is None:
            return palette
        if palette is not None and len(palette) == len(classes):
            return list(palette)
        if palette is not None and self.label_map is not None:
            old_palette = list(self.METAINFO.get("palette", palette))
            kept = sorted((new, old) for old, new in self.label_map.items() if new != 255)
            return [old_palette[old] for _, old in kept]
        rng = np.random.default_rng(42)
        return rng.integers(0, 255, size=(len(classes), 3)).tolist()

    def load_data_list(self) -> list[dict]:
        """One ``dict(img_path, seg_map_path, label_map, reduce_zero_label, seg_fields)`` per
        image."""
        img_dir = self.data_prefix.get("img_path", "")
        ann_dir = self.data_prefix.get("seg_map_path", "")
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise FileNotFoundError(
                    f"{type(self).__name__}: split file not found: {self.ann_file!r}"
                )
            names = [line.strip() for line in list_from_file(self.ann_file) if line.strip()]
        else:
            if not osp.isdir(img_dir):
                raise FileNotFoundError(
                    f"{type(self).__name__}: image folder not found: {img_dir!r}"
                )
            names = []
            for root, _, files in os.walk(img_dir):
                for file in files:
                    if file.endswith(self.img_suffix):
                        rel = osp.relpath(osp.join(root, file), img_dir)
                        names.append(rel[: len(rel) - len(self.img_suffix)])
            names.sort()
        data_list = []
        for name in names:
            info = dict(img_path=osp.join(img_dir, name + self.img_suffix))
            if ann_dir:
                info["seg_map_path"] = osp.join(ann_dir, name + self.seg_map_suffix)
            info["label_map"] = self.label_map
            info["reduce_zero_label"] = self.reduce_zero_label
            info["seg_fields"] = []
            data_list.append(info)
        return data_list

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        if self.backend_args is not None:
            info.setdefault("backend_args", copy.deepcopy(self.backend_args))
        return info
