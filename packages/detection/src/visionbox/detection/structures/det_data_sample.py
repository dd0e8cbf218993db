"""``DetDataSample``: one image's annotations and predictions for detection (mmdet 3.x fields).

Fields (all ``InstanceData`` unless said):

* ``gt_instances``: ``bboxes`` (G, 4) x1y1x2y2 pixels, ``labels`` (G,), optional ``masks``
  (``BitmapMasks``/``PolygonMasks``, G instances);
* ``ignored_instances``: the crowd / ignored boxes, same keys;
* ``proposals``: ``bboxes`` (P, 4), ``scores`` (P,) from an RPN;
* ``pred_instances``: ``bboxes`` (D, 4), ``scores`` (D,), ``labels`` (D,), optional ``masks``
  (D, H, W) bool in the original image;
* ``gt_sem_seg`` / ``pred_sem_seg`` (``PixelData``) from core's base.
"""

from __future__ import annotations

from mmengine.structures import InstanceData

from visionbox.core.structures import BaseDataSample

__all__ = ["DetDataSample", "SampleList", "OptSampleList"]


class DetDataSample(BaseDataSample):
    """Detection data sample: core's ``BaseDataSample`` plus ``proposals``."""

    @property
    def proposals(self) -> InstanceData:
        return self._proposals

    @proposals.setter
    def proposals(self, value: InstanceData) -> None:
        self.set_field(value, "_proposals", dtype=InstanceData)

    @proposals.deleter
    def proposals(self) -> None:
        del self._proposals


SampleList = list[DetDataSample]
OptSampleList = list[DetDataSample] | None
