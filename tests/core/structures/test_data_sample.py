"""BaseDataSample: typed fields."""

from __future__ import annotations

import pytest
import torch
from mmengine.structures import InstanceData, PixelData

from visionbox.core.structures import BaseDataSample


def test_fields_are_typed_and_deletable():
    sample = BaseDataSample(metainfo=dict(img_shape=(4, 5)))
    sample.gt_instances = InstanceData(bboxes=torch.zeros(2, 4))
    sample.pred_sem_seg = PixelData(data=torch.zeros(1, 4, 5))
    assert "gt_instances" in sample and sample.gt_instances.bboxes.shape == (2, 4)
    assert sample.metainfo["img_shape"] == (4, 5)
    with pytest.raises(AssertionError, match="InstanceData"):
        sample.pred_instances = PixelData(data=torch.zeros(1, 2, 2))
    del sample.gt_instances
    assert "gt_instances" not in sample
