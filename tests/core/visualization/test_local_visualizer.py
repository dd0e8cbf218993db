"""LocalVisualizer: draws every kind of annotation and writes image files, headless."""

from __future__ import annotations

import cv2
import numpy as np
import torch
from mmengine.structures import InstanceData, PixelData

from visionbox.core.registry import VISUALIZERS
from visionbox.core.structures import BaseDataSample


def build(name: str):
    vis = VISUALIZERS.build(dict(type="LocalVisualizer", name=name))
    vis.dataset_meta = dict(
        classes=("circle", "square"), palette=[(255, 0, 0), (0, 255, 0)], skeleton=[(0, 1)]
    )
    return vis


def test_draws_gt_and_pred_side_by_side(tmp_path):
    vis = build("vis_det")
    image = np.full((40, 50, 3), 100, np.uint8)
    sample = BaseDataSample()
    masks = np.zeros((1, 40, 50), np.uint8)
    masks[0, 20:30, 5:15] = 1
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[5.0, 5, 25, 25]]), labels=torch.tensor([1]), masks=masks
    )
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor([[5.0, 5, 25, 25], [30, 30, 45, 38]]),
        labels=torch.tensor([0, 1]),
        scores=torch.tensor([0.9, 0.1]),
        instances_id=torch.tensor([3, 4]),
        keypoints=torch.tensor([[[35.0, 10], [45, 15]], [[1.0, 1], [2, 2]]]),
        keypoints_visible=torch.ones(2, 2),
    )
    out_file = tmp_path / "out" / "vis.png"
    drawn = vis.add_datasample("img", image, sample, out_file=str(out_file), pred_score_thr=0.3)
    assert drawn.shape == (40, 100, 3)
    gt, pred = drawn[:, :50], drawn[:, 50:]
    assert tuple(gt[25, 5]) != (100, 100, 100)  # box edge
    assert gt[25, 10, 1] > gt[25, 10, 0]  # the mask blended with the green of class 1
    assert (pred[34, 40] == 100).all()  # the low-score box is not drawn
    assert tuple(pred[10, 40]) != (100, 100, 100)  # skeleton link of the kept instance
    written = cv2.imread(str(out_file))
    np.testing.assert_array_equal(written[..., ::-1], drawn)


def test_semantic_map_with_palette_and_jpeg(tmp_path):
    vis = build("vis_seg")
    image = np.zeros((10, 10, 3), np.uint8)
    sample = BaseDataSample()
    seg = torch.zeros(1, 10, 10, dtype=torch.long)
    seg[0, :, 5:] = 1
    seg[0, 0, 0] = 255
    sample.gt_sem_seg = PixelData(data=seg)
    drawn = vis.add_datasample(
        "seg", image, sample, draw_pred=False, out_file=str(tmp_path / "seg.jpg")
    )
    assert drawn.shape == (10, 10, 3)
    assert drawn[5, 2, 0] > 100 and drawn[5, 2, 1] == 0  # label 0 -> red
    assert drawn[5, 7, 1] > 100 and drawn[5, 7, 0] == 0  # label 1 -> green
    assert (drawn[0, 0] == 0).all()  # ignore index untouched
    assert cv2.imread(str(tmp_path / "seg.jpg")).shape == (10, 10, 3)
