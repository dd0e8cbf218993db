"""RPN and RoI heads on empty and one-box ground truth; the RoI extractor; mask targets and
pasting against direct references."""

from __future__ import annotations

import pytest
import torch
from mmengine.structures import InstanceData
from torchvision.ops import roi_align

from visionbox.detection.registry import MODELS

from .conftest import make_samples, tiny_model_cfg

SIZE = 64


def _feats(channels: int = 16, batch: int = 1) -> tuple[torch.Tensor, ...]:
    return tuple(torch.rand(batch, channels, SIZE // s, SIZE // s) for s in (4, 8, 16, 32, 64))


def _rpn():
    cfg = tiny_model_cfg()
    head = cfg.rpn_head
    head.update(train_cfg=cfg.train_cfg.rpn, test_cfg=cfg.test_cfg.rpn)
    return MODELS.build(head)


def test_rpn_head_empty_and_one_box():
    head = _rpn()
    feats = _feats()
    empty = make_samples(1, SIZE, boxes=torch.zeros(0, 4), labels=torch.zeros(0))
    losses = head.loss(feats, empty)
    assert losses["loss_rpn_cls"] > 0
    assert losses["loss_rpn_bbox"] == 0
    one = make_samples(1, SIZE, boxes=[[10.0, 12.0, 42.0, 50.0]], labels=[0])
    losses = head.loss(feats, one)
    assert losses["loss_rpn_cls"] > 0 and losses["loss_rpn_bbox"] > 0
    (losses["loss_rpn_cls"] + losses["loss_rpn_bbox"]).backward()
    assert head.rpn_reg.weight.grad.abs().sum() > 0


def test_rpn_proposals_respect_budget_and_image():
    head = _rpn().eval()
    samples = make_samples(2, SIZE)
    samples[1].set_metainfo(dict(img_shape=(40, 50)))
    with torch.no_grad():
        proposals = head.predict(_feats(batch=2), samples)
    assert len(proposals) == 2
    for result, (h, w) in zip(proposals, [(SIZE, SIZE), (40, 50)]):
        assert 0 < len(result) <= 100
        assert (result.bboxes[:, 2] <= w).all() and (result.bboxes[:, 3] <= h).all()
        assert (result.scores[:-1] >= result.scores[1:]).all()


def _roi_head(kind: str = "faster"):
    cfg = tiny_model_cfg(kind)
    head = cfg.roi_head
    head.update(train_cfg=cfg.train_cfg.rcnn, test_cfg=cfg.test_cfg.rcnn)
    return MODELS.build(head)


@pytest.mark.parametrize("kind", ["faster", "mask"])
def test_roi_head_empty_and_one_box(kind):
    head = _roi_head(kind)
    feats = _feats()
    proposals = [InstanceData(bboxes=torch.tensor([[0.0, 0, 20, 20], [30, 30, 60, 60]]))]
    empty = make_samples(1, SIZE, boxes=torch.zeros(0, 4), labels=torch.zeros(0), masks=True)
    losses = head.loss(feats, proposals, empty)
    assert losses["loss_cls"] > 0 and losses["loss_bbox"] == 0
    if kind == "mask":
        assert losses["loss_mask"] == 0
    one = make_samples(1, SIZE, boxes=[[28.0, 30.0, 58.0, 62.0]], labels=[1], masks=True)
    losses = head.loss(feats, proposals, one)
    assert losses["loss_cls"] > 0 and losses["loss_bbox"] > 0
    if kind == "mask":
        assert losses["loss_mask"] > 0


def test_roi_head_predicts_in_original_scale():
    head = _roi_head("mask").eval()
    samples = make_samples(1, SIZE)
    samples[0].set_metainfo(dict(scale_factor=(2.0, 2.0), ori_shape=(32, 32)))
    proposals = [InstanceData(bboxes=torch.tensor([[0.0, 0, 40, 40], [20, 20, 60, 60]]))]
    with torch.no_grad():
        (result,) = head.predict(_feats(), proposals, samples, rescale=True)
    assert result.masks.shape[1:] == (32, 32) and result.masks.dtype == torch.bool
    assert (result.bboxes <= 32).all()


def test_single_roi_extractor_equals_direct_roi_align():
    extractor = MODELS.build(
        dict(
            type="SingleRoIExtractor",
            roi_layer=dict(type="RoIAlign", output_size=7, sampling_ratio=0),
            out_channels=4,
            featmap_strides=[4, 8, 16, 32],
        )
    )
    feats = tuple(torch.rand(2, 4, 128 // s, 128 // s) for s in (4, 8, 16, 32))
    rois = torch.tensor(
        [[0, 1.0, 1, 30, 30], [1, 0, 0, 120, 120], [0, 10, 10, 300, 300], [1, 0, 0, 500, 500]]
    )
    out = extractor(feats, rois)
    scale = torch.sqrt((rois[:, 3] - rois[:, 1]) * (rois[:, 4] - rois[:, 2]))
    levels = torch.floor(torch.log2(scale / 56 + 1e-6)).clamp(0, 3).long()
    assert levels.tolist() == [0, 1, 2, 3]
    for i, level in enumerate(levels.tolist()):
        stride = (4, 8, 16, 32)[level]
        ref = roi_align(feats[level], rois[i : i + 1], 7, 1.0 / stride, 0, True)
        torch.testing.assert_close(out[i : i + 1], ref)
    # roi_scale_factor enlarges about the centre and pools from the original RoI's level.
    scaled = extractor(feats, rois[:1], roi_scale_factor=2.0)
    big = torch.tensor([[0, -13.5, -13.5, 44.5, 44.5]])
    torch.testing.assert_close(scaled, roi_align(feats[0], big, 7, 0.25, 0, True))


def test_roi_pool_layer_and_bad_type():
    extractor = MODELS.build(
        dict(
            type="SingleRoIExtractor",
            roi_layer=dict(type="RoIPool", output_size=7),
            out_channels=4,
            featmap_strides=[4],
        )
    )
    feats = (torch.rand(1, 4, 16, 16),)
    assert extractor(feats, torch.tensor([[0, 0.0, 0, 30, 30]])).shape == (1, 4, 7, 7)
    with pytest.raises(KeyError, match="RoIAlign"):
        MODELS.build(
            dict(
                type="SingleRoIExtractor",
                roi_layer=dict(type="RoIAlgn", output_size=7),
                out_channels=4,
                featmap_strides=[4],
            )
        )


def test_mask_targets_and_paste_against_references():
    from visionbox.detection.models.roi_heads.mask_heads import mask_target, paste_masks

    gt = torch.zeros(1, 32, 32)
    gt[0, 8:24, 8:24] = 1
    proposals = torch.tensor([[8.0, 8, 24, 24], [0, 0, 16, 16]])
    targets = mask_target([proposals], [torch.tensor([0, 0])], [gt], 4)
    assert targets[0].eq(1).all()
    assert targets[1].tolist() == [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]]
    # A full mask pasted into a box covers exactly the box's pixels.
    probs = torch.ones(2, 28, 28)
    boxes = torch.tensor([[2.0, 3, 10, 12], [20, 0, 32, 8]])
    pasted = paste_masks(probs, boxes, 24, 30) >= 0.5
    ref = torch.zeros(2, 24, 30, dtype=torch.bool)
    ref[0, 3:12, 2:10] = True
    ref[1, 0:8, 20:30] = True
    assert torch.equal(pasted, ref)
