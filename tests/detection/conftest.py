"""Fixtures of the detection tests: the detection scope and tiny model configs."""

from __future__ import annotations

import copy
import logging

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from visionbox.core.config import Config
from visionbox.core.testing import tiny_backbone_cfg, tiny_neck_cfg

CONFIGS = "packages/detection/src/visionbox/detection/configs"


@pytest.fixture(autouse=True)
def _detection_scope():
    """Run every test in the 'detection' default scope, restoring the previous one after."""
    previous = DefaultScope._instance_dict.copy()
    name = f"detection-test-{id(previous)}"
    DefaultScope.get_instance(name, scope_name="detection")
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(previous)


def repo_path(rel: str) -> str:
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(os.path.dirname(here)), rel)


def load_cfg(rel: str) -> Config:
    return Config.fromfile(repo_path(f"{CONFIGS}/{rel}"))


def tiny_model_cfg(kind: str = "faster", num_classes: int = 3) -> dict:
    """A Faster / Mask R-CNN config from the shipped base with a tiny trunk and heads."""
    name = "mask-rcnn_r50_fpn.py" if kind == "mask" else "faster-rcnn_r50_fpn.py"
    cfg = copy.deepcopy(load_cfg(f"_base_/models/{name}").model)
    cfg.backbone = tiny_backbone_cfg()
    cfg.neck = tiny_neck_cfg(out_channels=16)
    cfg.rpn_head.update(in_channels=16, feat_channels=16)
    cfg.roi_head.bbox_roi_extractor.out_channels = 16
    cfg.roi_head.bbox_head.update(in_channels=16, fc_out_channels=32, num_classes=num_classes)
    cfg.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=100)
    cfg.train_cfg.rcnn.sampler.num = 64
    cfg.test_cfg.rpn.update(nms_pre=200, max_per_img=100)
    if kind == "mask":
        cfg.roi_head.mask_roi_extractor.out_channels = 16
        cfg.roi_head.mask_head.update(in_channels=16, conv_out_channels=16, num_classes=num_classes)
    return cfg


def make_samples(num_imgs: int = 2, size: int = 64, boxes=None, labels=None, masks: bool = False):
    """Detection data samples with the given (or two default) boxes per image."""
    from visionbox.core.structures import BitmapMasks
    from visionbox.detection.structures import DetDataSample

    samples = []
    for _ in range(num_imgs):
        meta = dict(
            img_shape=(size, size),
            ori_shape=(size, size),
            pad_shape=(size, size),
            batch_input_shape=(size, size),
            scale_factor=(1.0, 1.0),
        )
        sample = DetDataSample(metainfo=meta)
        b = (
            torch.tensor([[4.0, 6.0, 40.0, 44.0], [20.0, 10.0, 60.0, 50.0]])
            if boxes is None
            else torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4)
        )
        lab = torch.arange(len(b)) % 3 if labels is None else torch.as_tensor(labels)
        gt = InstanceData(bboxes=b, labels=lab.long())
        if masks:
            m = torch.zeros((len(b), size, size), dtype=torch.uint8)
            for i, (x1, y1, x2, y2) in enumerate(b.long().tolist()):
                m[i, y1:y2, x1:x2] = 1
            gt.masks = BitmapMasks(m.numpy(), size, size)
        sample.gt_instances = gt
        samples.append(sample)
    return samples
