"""The dataset base of every VisionBox task, on mmengine's ``BaseDataset``.

It keeps mmengine's interface (``metainfo``, ``lazy_init``, ``serialize_data``, ``filter_cfg``,
``test_mode``, ``indices``, ``max_refetch``) and adds what users need when their data is wrong: a
missing annotation file names its path, and a record that cannot be parsed fails with
:class:`~visionbox.core.datasets.readers.AnnotationError` naming the file, the record and
the reason.
The pipeline is built from VisionBox's ``TRANSFORMS``.

Subclasses override :meth:`load_raw_list` (read the file into raw records) and
``parse_data_info`` (one raw record -> one data info); the default reads mmengine's json format
``{"metainfo": {...}, "data_list": [...]}``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mmengine.dataset import BaseDataset
from mmengine.fileio import load

from ..registry import DATASETS
from .readers import AnnotationError
from .transforms.wrappers import Compose

__all__ = ["BaseVisionDataset"]

_FILTER_KEYS = ("filter_empty_gt", "min_size")


@DATASETS.register_module()
class BaseVisionDataset(BaseDataset):
    """Dataset base: mmengine's ``BaseDataset`` with checked files and records.

    Args:
        ann_file: Annotation file, relative to ``data_root`` unless absolute.
        metainfo: Meta information (``classes``, ``palette``, ...) that overrides the class's
            ``METAINFO``; ``dict(from_file=path)`` reads it from a config file.
        data_root: Root of ``ann_file`` and ``data_prefix``.
        data_prefix: Prefixes of the data paths, e.g. ``dict(img_path='images/')``.
        filter_cfg: ``dict(filter_empty_gt=bool, min_size=int)``, applied outside ``test_mode`` to
            data infos with ``instances`` (each with ``bbox``).
        indices: Keep only the first ``indices`` samples, or these indices.
        serialize_data: Keep the data list as one numpy buffer (saves memory with workers).
        pipeline: Transforms (config dicts or callables).
        test_mode: Testing: no filtering, no re-fetch of a failed sample.
        lazy_init: Defer loading the annotations until first use.
        max_refetch: How many other samples to try when the pipeline returns ``None``.
        backend_args: Arguments of the mmengine file backend, passed to loading transforms.
    """

    METAINFO: dict = dict()

    def __init__(
        self,
        ann_file: str | None = "",
        metainfo: Mapping | None = None,
        data_root: str | None = "",
        data_prefix: dict | None = None,
        filter_cfg: dict | None = None,
        indices: int | Sequence[int] | None = None,
        serialize_data: bool = True,
        pipeline: Sequence[dict | Callable] = (),
        test_mode: bool = False,
        lazy_init: bool = False,
        max_refetch: int = 1000,
        backend_args: dict | None = None,
    ) -> None:
        if filter_cfg is not None:
            unknown = set(filter_cfg) - set(_FILTER_KEYS)
            if unknown:
                raise KeyError(
                    f"{type(self).__name__} filter_cfg got unknown keys {sorted(unknown)}; "
                    f"allowed: {list(_FILTER_KEYS)}."
                )
        self.backend_args = backend_args
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=dict(img_path="") if data_prefix is None else dict(data_prefix),
            filter_cfg=filter_cfg,
            indices=indices,
            serialize_data=serialize_data,
            pipeline=[],
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch,
        )
        self.pipeline = Compose(list(pipeline))

    def load_raw_list(self) -> list[Any]:
        """Read ``ann_file`` into raw records (updating ``self._metainfo`` from the file)."""
        annotations = load(self.ann_file)
        if not isinstance(annotations, dict) or "data_list" not in annotations:
            raise AnnotationError(
                self.ann_file, None, "expected a dict with 'data_list' (and optional 'metainfo')"
            )
        for key, value in annotations.get("metainfo", {}).items():
            self._metainfo.setdefault(key, value)
        return annotations["data_list"]

    def load_data_list(self) -> list[dict]:
        if not self.ann_file or not os.path.isfile(self.ann_file):
            raise FileNotFoundError(
                f"{type(self).__name__}: annotation file not found: {self.ann_file!r}"
            )
        data_list: list[dict] = []
        for index, raw in enumerate(self.load_raw_list()):
            try:
                info = self.parse_data_info(raw)
            except AnnotationError:
                raise
            except (KeyError, TypeError, ValueError, IndexError) as err:
                raise AnnotationError(
                    self.ann_file, f"record {index} {_short(raw)}", f"{type(err).__name__}: {err}"
                ) from err
            if isinstance(info, dict):
                data_list.append(info)
            elif isinstance(info, list):
                data_list.extend(info)
            else:
                raise AnnotationError(
                    self.ann_file, f"record {index}", "parse_data_info must return a dict or a list"
                )
        return data_list

    def filter_data(self) -> list[dict]:
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        empty_out = self.filter_cfg.get("filter_empty_gt", False)
        min_size = self.filter_cfg.get("min_size", 0)
        kept = []
        for info in self.data_list:
            if (
                min_size
                and min(info.get("width", min_size), info.get("height", min_size)) < min_size
            ):
                continue
            instances = info.get("instances", [])
            if empty_out and not any(not inst.get("ignore_flag", 0) for inst in instances):
                continue
            kept.append(info)
        return kept

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        if self.backend_args is not None:
            info.setdefault("backend_args", copy.deepcopy(self.backend_args))
        return info


def _short(record: Any, limit: int = 200) -> str:
    text = repr(record)
    return text if len(text) <= limit else text[: limit - 3] + "..."
