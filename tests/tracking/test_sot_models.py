"""SOTResNet, SiameseRPNHead and SiamRPN: shapes, losses on pairs, gradients, inference."""

from __future__ import annotations

import copy

import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from visionbox.tracking.registry import MODELS, TASK_UTILS
from visionbox.tracking.structures import FrameDataSample, TrackDataSample

ANCHORS = dict(
    type="SiameseRPNAnchorGenerator", strides=[8], ratios=[0.33, 0.5, 1, 2, 3], scales=[8]
)
TRAIN_CFG = dict(
    rpn=dict(
        assigner=dict(
            type="detection.MaxIoUAssigner",
            pos_iou_thr=0.6,
            neg_iou_thr=0.3,
            min_pos_iou=0.6,
            match_low_quality=False,
        ),
        sampler=dict(
            type="detection.RandomSampler", num=64, pos_fraction=0.25, add_gt_as_proposals=False
        ),
        num_neg=16,
        exemplar_size=127,
        search_size=255,
    )
)
TEST_CFG = dict(
    exemplar_size=127,
    search_size=255,
    context_amount=0.5,
    center_size=7,
    rpn=dict(penalty_k=0.05, window_influence=0.42, lr=0.38),
)
TINY = dict(
    type="SiamRPN",
    backbone=dict(
        type="SOTResNet",
        depth=18,
        base_channels=8,
        out_indices=(1, 2, 3),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        norm_eval=False,
    ),
    neck=dict(
        type="ChannelMapper",
        in_channels=[16, 32, 64],
        out_channels=16,
        kernel_size=1,
        norm_cfg=dict(type="BN"),
        act_cfg=None,
    ),
    head=dict(
        type="SiameseRPNHead", anchor_generator=ANCHORS, in_channels=[16, 16, 16], weighted_sum=True
    ),
    train_cfg=TRAIN_CFG,
    test_cfg=TEST_CFG,
)


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope("tracking")


def pair_samples(boxes, positive) -> list[TrackDataSample]:
    samples = []
    for box, pos in zip(boxes, positive):
        frames = []
        for size, b in ((127, [32.0, 32.0, 95.0, 95.0]), (255, box)):
            frame = FrameDataSample(metainfo=dict(img_shape=(size, size)))
            frame.gt_instances = InstanceData(
                bboxes=torch.tensor([b], dtype=torch.float32), labels=torch.tensor([int(pos)])
            )
            frames.append(frame)
        sample = TrackDataSample()
        sample.video_data_samples = frames
        samples.append(sample)
    return samples


def test_sot_resnet_shapes_and_keys():
    backbone = MODELS.build(copy.deepcopy(TINY["backbone"])).eval()
    z = backbone(torch.zeros(1, 3, 127, 127))
    x = backbone(torch.zeros(1, 3, 255, 255))
    assert [tuple(f.shape[1:]) for f in z] == [(16, 15, 15), (32, 15, 15), (64, 15, 15)]
    assert [tuple(f.shape[1:]) for f in x] == [(16, 31, 31), (32, 31, 31), (64, 31, 31)]
    assert backbone.conv1.padding == (0, 0)
    assert backbone.layer2[0].downsample[0].kernel_size == (3, 3)  # 3x3 strided projection
    assert backbone.layer3[0].downsample[0].dilation == (1, 1)  # half the stage's dilation 2
    assert backbone.layer4[0].downsample[0].dilation == (2, 2)
    r50 = MODELS.build(
        dict(
            type="SOTResNet",
            depth=50,
            out_indices=(1, 2, 3),
            strides=(1, 2, 1, 1),
            dilations=(1, 1, 2, 4),
        )
    )
    keys = r50.state_dict().keys()
    assert "layer4.0.downsample.0.weight" in keys and "layer3.5.conv3.weight" in keys
    assert r50.layer4[0].downsample[0].weight.shape == (2048, 1024, 3, 3)
    assert r50.out_channels == [512, 1024, 2048]
    with pytest.raises(KeyError, match="18, 34, 50"):
        MODELS.build(dict(type="SOTResNet", depth=101))


def test_anchor_generator_and_window():
    gen = TASK_UTILS.build(ANCHORS)
    assert gen.num_base_anchors == [5]
    assert gen.base_anchors[0][2].tolist() == [-32.0, -32.0, 32.0, 32.0]
    anchors = gen.centered_priors((25, 25))
    assert anchors.shape == (25 * 25 * 5, 4)
    centre = anchors[(12 * 25 + 12) * 5 + 2]  # the centre cell's square anchor
    assert centre.tolist() == [-32.0, -32.0, 32.0, 32.0]
    window = gen.gen_2d_hanning_windows([(25, 25)])[0]
    assert window.shape == (3125,) and window.argmax() // 5 == 12 * 25 + 12


def test_head_loss_on_pairs_positive_and_negative():
    torch.manual_seed(0)
    head = MODELS.build(
        dict(
            type="SiameseRPNHead",
            anchor_generator=ANCHORS,
            in_channels=[8, 8],
            train_cfg=TRAIN_CFG["rpn"],
            test_cfg=TEST_CFG["rpn"],
        )
    )
    z = tuple(torch.randn(2, 8, 7, 7) for _ in range(2))
    x = tuple(torch.randn(2, 8, 31, 31) for _ in range(2))
    boxes = [[96.0, 96.0, 160.0, 160.0], [100.0, 110.0, 164.0, 170.0]]
    cls_score, bbox_pred = head(z, x)
    assert cls_score.shape == (2, 10, 25, 25) and bbox_pred.shape == (2, 20, 25, 25)
    losses = head.loss(z, x, pair_samples(boxes, [True, True]))
    assert losses["loss_rpn_cls"] > 0 and losses["loss_rpn_bbox"] > 0
    negative = head.loss(z, x, pair_samples(boxes, [False, False]))
    assert negative["loss_rpn_cls"] > 0 and negative["loss_rpn_bbox"] == 0
    # a degenerate distractor box of a negative pair gives finite losses
    degenerate = head.loss(z, x, pair_samples([[90.0, 90.0, 90.0, 120.0]] * 2, [False, True]))
    assert all(torch.isfinite(v) for v in degenerate.values())
    labels, weights, targets, bbox_weights = head.get_targets(
        torch.tensor(boxes), torch.tensor([True, False]), (25, 25)
    )
    assert labels[0].sum() == (weights[0][labels[0] == 1] > 0).sum() <= 16
    assert (weights[0] > 0).sum() <= 64 and (weights[1] > 0).sum() == 16
    assert labels[1].sum() == 0 and bbox_weights[1].sum() == 0
    # each pair's classification weights sum to 1/N (half positives, half negatives)
    assert weights.sum(1).tolist() == pytest.approx([0.5, 0.25])
    # the sampled negatives of the negative pair lie in the 7x7 cells around the distractor
    cells = torch.nonzero(weights[1] > 0)[:, 0] // 5
    cx = 12 + int(torch.ceil(torch.tensor((132.0 - 127) / 8 + 0.5)))
    assert ((cells % 25 - cx).abs() <= 3).all()


def test_siamrpn_trains_on_pairs_every_parameter_gets_a_gradient():
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(TINY))
    model.init_weights()
    model.train()
    inputs = torch.randn(2, 2, 3, 255, 255)
    samples = pair_samples([[96.0, 96.0, 160.0, 160.0], [90.0, 100.0, 150.0, 164.0]], [True, False])
    losses = model(inputs, samples, mode="loss")
    assert set(losses) == {"loss_rpn_cls", "loss_rpn_bbox"}
    sum(losses.values()).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())
    cls_score, bbox_pred = model(inputs, samples, mode="tensor")
    assert cls_score.shape == (2, 10, 25, 25)


def _frame_sample(frame_id, box=None, shape=(180, 200)):
    frame = FrameDataSample(metainfo=dict(frame_id=frame_id, img_shape=shape, ori_shape=shape))
    frame.gt_instances = InstanceData(
        bboxes=torch.tensor([box or [0.0, 0.0, 1.0, 1.0]]), labels=torch.zeros(1, dtype=torch.long)
    )
    sample = TrackDataSample()
    sample.video_data_samples = [frame]
    return sample


def test_siamrpn_inference_keeps_state_and_clips():
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(TINY)).eval()
    img = torch.randn(1, 1, 3, 180, 200)
    with torch.no_grad():
        first = model.predict(img, [_frame_sample(0, [50.0, 60.0, 90.0, 110.0])])[0][0]
        assert first.pred_track_instances.bboxes.tolist() == [[50.0, 60.0, 90.0, 110.0]]
        assert first.pred_track_instances.scores.item() == -1
        for fid in (1, 2):
            out = model.predict(img, [_frame_sample(fid)])[0][0].pred_track_instances
            box = out.bboxes[0]
            assert 0 <= out.scores.item() <= 1
            w, h = box[2] - box[0], box[3] - box[1]
            assert w >= 10 and h >= 10 and w <= 200 and h <= 180
    model.memo = {}
    with pytest.raises(RuntimeError, match="frame 0"):
        model.predict(img, [_frame_sample(3)])


def test_siamrpn_head_names():
    cfg = copy.deepcopy(TINY)
    cfg["track_head"] = cfg.pop("head")
    model = MODELS.build(cfg)
    assert type(model.head).__name__ == "SiameseRPNHead"
    assert any(k.startswith("head.cls_heads.0.kernel_convs.conv") for k in model.state_dict())
    assert model.head.train_cfg["num_neg"] == 16  # train_cfg.rpn reaches the head
    cfg["head"] = dict(type="NoSuchHead")  # track_head replaces an inherited head
    assert type(MODELS.build(cfg).head).__name__ == "SiameseRPNHead"
    with pytest.raises(ValueError, match="needs a head"):
        MODELS.build(dict(type="SiamRPN", backbone=TINY["backbone"]))


@pytest.mark.parametrize(
    "assigner_cfg, boxes",
    [
        ({}, [[96.0, 96.0, 160.0, 160.0], [80.0, 120.0, 180.0, 150.0]]),
        # low-quality matches: boxes that reach no anchor at IoU 0.6
        (
            dict(match_low_quality=True, min_pos_iou=0.2),
            [[110.0, 110.0, 150.0, 140.0], [96.0, 96.0, 160.0, 160.0]],
        ),
        (
            dict(match_low_quality=True, min_pos_iou=0.2, gt_max_assign_all=False),
            [[110.0, 110.0, 150.0, 140.0], [100.0, 105.0, 140.0, 150.0]],
        ),
        (dict(neg_iou_thr=(0.1, 0.3)), [[96.0, 96.0, 160.0, 160.0], [80.0, 120.0, 180.0, 150.0]]),
    ],
)
def test_head_targets_match_max_iou_assigner_per_pair(assigner_cfg, boxes):
    """Without subsampling, the batched positives / negatives are the detection package's
    MaxIoUAssigner's, pair by pair, and the box targets are the coder's encoding."""
    rpn = copy.deepcopy(TRAIN_CFG["rpn"])
    rpn["sampler"].update(num=100_000, pos_fraction=0.5)
    rpn["assigner"].update(assigner_cfg)
    head = MODELS.build(
        dict(type="SiameseRPNHead", anchor_generator=ANCHORS, in_channels=[8], train_cfg=rpn)
    )
    assigner = TASK_UTILS.build(
        dict(rpn["assigner"], iou_calculator=dict(type="detection.BboxOverlaps2D"))
    )
    boxes = torch.tensor(boxes)
    labels, weights, targets, bbox_weights = head.get_targets(
        boxes, torch.tensor([True, True]), (25, 25)
    )
    anchors = head.anchor_generator.centered_priors((25, 25)) + 127
    for i, box in enumerate(boxes):
        result = assigner.assign(
            InstanceData(priors=anchors),
            InstanceData(bboxes=box[None], labels=torch.zeros(1, dtype=torch.long)),
        )
        pos = result.gt_inds > 0
        assert pos.any()
        assert torch.equal(labels[i].bool(), pos)
        assert torch.equal(weights[i] > 0, result.gt_inds >= 0)
        expected = head.bbox_coder.encode(anchors[pos], box[None].expand(int(pos.sum()), 4))
        torch.testing.assert_close(targets[i][pos], expected)
        assert bbox_weights[i][pos].sum() == pytest.approx(4 / 2)  # 1/num_pos per pos, / N


def test_siamrpn_state_follows_the_float_smoothing_formula(monkeypatch):
    """A fixed head output (the centre anchor, 3 % larger than the previous box) grows the state
    by the float update ``w <- w (1 - lr) + w_pred lr`` every frame; nothing is rounded."""
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(TINY)).eval()
    head = model.head
    num_a, size = head.anchor_generator.num_base_anchors[0], 5
    centre = (size // 2) * size + size // 2
    anchor = head.anchor_generator.centered_priors((size, size), torch.device("cpu"))[
        centre * num_a
    ]
    aw, ah = float(anchor[2] - anchor[0]), float(anchor[3] - anchor[1])
    cx, cy, w, h = 70.0, 85.0, 40.0, 50.0  # frame 0: x1y1x2y2 (50, 60, 90, 110)
    z0 = ((w + (w + h) / 2) * (h + (w + h) / 2)) ** 0.5
    sf0 = 127 / z0
    dw, dh = torch.log(torch.tensor([1.03 * w * sf0 / aw, 1.03 * h * sf0 / ah]))
    cls_score = torch.full((1, 2 * num_a, size, size), 20.0)  # background everywhere ...
    cls_score[0, num_a:] = -20.0
    cls_score[0, num_a, size // 2, size // 2] = 20.0  # ... but the centre's first anchor
    cls_score[0, 0, size // 2, size // 2] = -20.0
    bbox_pred = torch.zeros(1, 4 * num_a, size, size)
    bbox_pred[0, 2 * num_a, size // 2, size // 2] = dw
    bbox_pred[0, 3 * num_a, size // 2, size // 2] = dh
    monkeypatch.setattr(head, "forward", lambda z, x: (cls_score, bbox_pred))

    img = torch.randn(1, 1, 3, 180, 200)
    score = 1 / (1 + torch.exp(torch.tensor(-40.0, dtype=torch.float64))).item()
    with torch.no_grad():
        model.predict(img, [_frame_sample(0, [50.0, 60.0, 90.0, 110.0])])
        for fid in (1, 2, 3):
            # the reference: mmtracking's SiamRPN.track, in plain floats
            z = ((w + (w + h) / 2) * (h + (w + h) / 2)) ** 0.5
            sf = 127 / z
            pw, ph = aw * float(torch.exp(dw)), ah * float(torch.exp(dh))  # crop pixels

            def padded(a, b):
                return ((a + (a + b) / 2) * (b + (a + b) / 2)) ** 0.5

            s_c = padded(pw, ph) / padded(w * sf, h * sf)
            r_c = (w / h) / (pw / ph)
            penalty = float(
                torch.exp(torch.tensor(-(max(r_c, 1 / r_c) * max(s_c, 1 / s_c) - 1) * 0.05))
            )
            lr = penalty * score * 0.38
            w, h = w * (1 - lr) + pw / sf * lr, h * (1 - lr) + ph / sf * lr
            out = model.predict(img, [_frame_sample(fid)])[0][0].pred_track_instances
            state = model.memo["bbox"]
            torch.testing.assert_close(
                state, torch.tensor([cx, cy, w, h], dtype=state.dtype), atol=1e-4, rtol=0
            )
            torch.testing.assert_close(
                out.bboxes[0],
                torch.tensor([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]),
                atol=1e-4,
                rtol=0,
            )
    # each update is below half a pixel, yet they accumulate
    assert 0.5 < w - 40.0 < 2.0 and float(model.memo["bbox"][2]) != round(float(w))


def test_head_checks_its_train_and_test_cfg():
    def build(**rpn_changes):
        rpn = copy.deepcopy(TRAIN_CFG["rpn"])
        for key, value in rpn_changes.items():
            if key in ("assigner", "sampler") and "SimOTA" in value.get("type", ""):
                rpn[key] = value
            elif key in ("assigner", "sampler"):
                rpn[key].update(value)
            else:
                rpn[key] = value
        return MODELS.build(
            dict(type="SiameseRPNHead", anchor_generator=ANCHORS, in_channels=[8], train_cfg=rpn)
        )

    with pytest.raises(TypeError, match="Did you mean 'pos_iou_thr'"):
        build(assigner=dict(pos_iou_th=0.9))
    with pytest.raises(KeyError, match="Did you mean 'num_neg'"):
        build(num_negs=8)
    with pytest.raises(NotImplementedError, match="add_gt_as_proposals"):
        build(sampler=dict(add_gt_as_proposals=True))
    with pytest.raises(NotImplementedError, match="MaxIoUAssigner"):
        build(assigner=dict(type="detection.SimOTAAssigner"))
    with pytest.raises(KeyError, match="SimOTA"):
        build(assigner=dict(type="SimOTAAssignr"))
    # mmtracking's unscoped names are the detection package's classes
    head = build(
        assigner=dict(type="MaxIoUAssigner", pos_iou_thr=0.7),
        sampler=dict(type="RandomSampler", neg_pos_ub=2),
    )
    assert head.targets_cfg.pos_iou_thr == 0.7 and head.targets_cfg.neg_pos_ub == 2
    # neg_pos_ub bounds the negatives of a positive pair by 2 x positives
    labels, weights, _, _ = head.get_targets(
        torch.tensor([[96.0, 96.0, 160.0, 160.0]]), torch.tensor([True]), (25, 25)
    )
    num_pos = int(labels.sum())
    assert num_pos > 0 and int((weights > 0).sum()) - num_pos == 2 * num_pos
    with pytest.raises(KeyError, match="Did you mean 'window_influence'"):
        MODELS.build(
            dict(
                type="SiameseRPNHead",
                anchor_generator=ANCHORS,
                in_channels=[8],
                test_cfg=dict(window_influense=0.4),
            )
        )


def test_sot_constructors_have_no_mutable_defaults():
    import inspect

    from visionbox.tracking.models.backbones.sot_resnet import SOTResNet
    from visionbox.tracking.models.track_heads.siamese_rpn_head import CorrelationHead

    for cls in (SOTResNet, CorrelationHead, MODELS.get("SiameseRPNHead")):
        for param in inspect.signature(cls.__init__).parameters.values():
            assert not isinstance(param.default, (dict, list, set)), (cls.__name__, param.name)


def test_predict_by_feat_equals_mmtrackings_post_process():
    """``predict_by_feat`` against a plain transcription of mmtracking 1.x's
    ``SiameseRPNHead._bbox_post_process`` (anchors from ``grid_priors`` moved to the centre)."""
    torch.manual_seed(0)
    head = MODELS.build(
        dict(
            type="SiameseRPNHead",
            anchor_generator=ANCHORS,
            in_channels=[8],
            test_cfg=TEST_CFG["rpn"],
        )
    )
    size, num_a = 25, 5
    cls_score = torch.randn(1, 2 * num_a, size, size)
    bbox_pred = torch.randn(1, 4 * num_a, size, size) * 0.2
    prev = torch.tensor([100.0, 90.0, 40.0, 30.0])
    scale = torch.tensor(127 / 60.0)
    out = head.predict_by_feat(cls_score, bbox_pred, prev, scale, (300, 400))

    gen = head.anchor_generator
    anchors = gen.grid_priors([(size, size)])[0].clone()
    anchors[:, 0:4:2] -= (size // 2) * 8
    anchors[:, 1:4:2] -= (size // 2) * 8
    window = gen.gen_2d_hanning_windows([(size, size)])[0]
    scores = cls_score.view(2, -1, size, size).permute(2, 3, 1, 0).reshape(-1, 2).softmax(1)[:, 1]
    deltas = bbox_pred.view(4, -1, size, size).permute(2, 3, 1, 0).reshape(-1, 4)
    boxes = head.bbox_coder.decode(anchors, deltas)
    cxcywh = torch.cat([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]], 1)

    def change_ratio(r):
        return torch.max(r, 1.0 / r)

    def enlarged(w, h):
        pad = (w + h) * 0.5
        return torch.sqrt((w + pad) * (h + pad))

    scale_pen = change_ratio(
        enlarged(cxcywh[:, 2], cxcywh[:, 3]) / enlarged(prev[2] * scale, prev[3] * scale)
    )
    ratio_pen = change_ratio((prev[2] / prev[3]) / (cxcywh[:, 2] / cxcywh[:, 3]))
    penalty = torch.exp(-(ratio_pen * scale_pen - 1) * 0.05)
    best = torch.argmax(penalty * scores * (1 - 0.42) + window * 0.42)
    box = cxcywh[best] / scale
    lr = penalty[best] * scores[best] * 0.38
    cx = (box[0] + prev[0]).clamp(0, 400)
    cy = (box[1] + prev[1]).clamp(0, 300)
    w = (prev[2] * (1 - lr) + box[2] * lr).clamp(10, 400)
    h = (prev[3] * (1 - lr) + box[3] * lr).clamp(10, 300)
    expected = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    torch.testing.assert_close(out.bboxes[0], expected, atol=1e-4, rtol=0)
    assert float(out.scores[0]) == pytest.approx(float(scores[best]))
