"""The data-sample base that every task's ``*DataSample`` builds on.

A data sample carries one image's annotations and predictions between the dataset, the model and
the metrics, as mmengine structures:

* ``gt_instances`` / ``pred_instances`` / ``ignored_instances`` (``InstanceData``): ``bboxes``
  (N, 4) x1y1x2y2 pixels, ``labels`` (N,), ``scores`` (N,), ``masks``, ``keypoints`` (N, K, 2),
  ``keypoints_visible`` (N, K), ``instances_id`` (N,);
* ``gt_sem_seg`` / ``pred_sem_seg`` / ``seg_logits`` (``PixelData``): ``data`` (1 or C, H, W);
* metainfo: ``img_path``, ``ori_shape``, ``img_shape``, ``scale_factor``, ``flip``, ``pad_shape``,
  ``batch_input_shape``, ...
"""

from __future__ import annotations

from mmengine.structures import BaseDataElement, InstanceData, PixelData

__all__ = ["BaseDataSample"]


def _field(name: str, kind: type) -> property:
    def getter(self):
        return getattr(self, f"_{name}")

    def setter(self, value):
        self.set_field(value, f"_{name}", dtype=kind)

    def deleter(self):
        delattr(self, f"_{name}")

    return property(getter, setter, deleter, doc=f"{kind.__name__}: ``{name}`` of the sample.")


class BaseDataSample(BaseDataElement):
    """Data sample with typed instance and pixel fields (see the module docstring)."""

    gt_instances = _field("gt_instances", InstanceData)
    pred_instances = _field("pred_instances", InstanceData)
    ignored_instances = _field("ignored_instances", InstanceData)
    gt_sem_seg = _field("gt_sem_seg", PixelData)
    pred_sem_seg = _field("pred_sem_seg", PixelData)
    seg_logits = _field("seg_logits", PixelData)
