"""RetinaNet and FCOS: point generator and distance coder, heads on empty and non-empty ground
truth, post-processing, detectors' gradient contract, config sizes and a short training."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest
import torch
from mmengine.structures import InstanceData

from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.testing import assert_all_params_have_grad, tiny_backbone_cfg
from visionbox.detection.registry import MODELS, TASK_UTILS

from .conftest import CONFIGS, load_cfg, make_samples, repo_path

SIZE = 64


def test_point_generator_layout_matches_a_direct_grid():
    gen = TASK_UTILS.build(dict(type="MlvlPointGenerator", strides=[8, (16, 32)], offset=0.5))
    p0, p1 = gen.grid_priors([(2, 3), (1, 2)])
    assert p0.tolist() == [[4, 4], [12, 4], [20, 4], [4, 12], [12, 12], [20, 12]]
    assert p1.tolist() == [[8, 16], [24, 16]]
    with_stride = gen.grid_priors([(2, 3), (1, 2)], with_stride=True)[1]
    assert with_stride[:, 2:].tolist() == [[16, 32], [16, 32]]
    flags = gen.valid_flags([(2, 3), (1, 2)], pad_shape=(8, 9))
    assert flags[0].tolist() == [True, True, False, False, False, False]
    sparse = gen.sparse_priors(torch.tensor([1, 5]), (2, 3), 0)
    assert torch.equal(sparse, p0[[1, 5]])
    corner = TASK_UTILS.build(dict(type="MlvlPointGenerator", strides=[8], offset=0.0))
    assert corner.grid_priors([(1, 2)])[0].tolist() == [[0, 0], [8, 0]]


def test_distance_coder_round_trip_and_clip():
    coder = TASK_UTILS.build(dict(type="DistancePointBBoxCoder"))
    points = torch.tensor([[10.0, 12.0], [30.0, 5.0]])
    boxes = torch.tensor([[2.0, 4.0, 20.0, 30.0], [25.0, 1.0, 40.0, 9.0]])
    dist = coder.encode(points, boxes)
    assert dist[0].tolist() == [8.0, 8.0, 10.0, 18.0]
    assert torch.allclose(coder.decode(points, dist), boxes)
    clipped = coder.decode(points[None].repeat(2, 1, 1), dist[None].repeat(2, 1, 1), [(20, 35)] * 2)
    assert clipped[1, 0].tolist() == [2.0, 4.0, 20.0, 20.0]
    assert clipped[1, 1].tolist() == [25.0, 1.0, 35.0, 9.0]
    assert coder.encode(points, boxes, max_dis=9.0).max() <= 8.9 + 1e-6


def _tiny(kind: str, num_classes: int = 3) -> dict:
    """A RetinaNet or FCOS from the shipped COCO config with a tiny trunk and head."""
    name = (
        "retinanet/retinanet_r50_fpn_1x_coco.py"
        if kind == "retina"
        else "fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py"
    )
    cfg = copy.deepcopy(load_cfg(name).model)
    cfg.backbone = tiny_backbone_cfg()
    cfg.neck.update(in_channels=[8, 16, 32, 64], out_channels=16)
    cfg.bbox_head.update(in_channels=16, feat_channels=16, stacked_convs=2, num_classes=num_classes)
    if kind == "fcos":
        cfg.bbox_head.norm_cfg = dict(type="GN", num_groups=4, requires_grad=True)
    return cfg


def _head(kind: str, **head_args):
    cfg = _tiny(kind)
    head = cfg.bbox_head
    head.update(dict(train_cfg=cfg.get("train_cfg"), test_cfg=cfg.test_cfg), **head_args)
    return MODELS.build(head)


def _feats(batch: int = 1, size: int = SIZE) -> tuple[torch.Tensor, ...]:
    sizes = [-(-size // s) for s in (8, 16, 32, 64, 128)]
    return tuple(torch.rand(batch, 16, n, n) for n in sizes)


HEADS = [
    ("retina", {}),
    ("retina", dict(reg_decoded_bbox=True, loss_bbox=dict(type="GIoULoss", loss_weight=2.0))),
    ("fcos", {}),
    ("fcos", dict(center_sampling=True, norm_on_bbox=True, centerness_on_reg=True)),
    ("fcos", dict(loss_bbox=dict(type="GIoULoss", loss_weight=1.0), dcn_on_last_conv=True)),
]


@pytest.mark.parametrize(("kind", "args"), HEADS)
def test_head_losses_on_empty_and_one_box(kind, args):
    torch.manual_seed(0)
    head = _head(kind, **args)
    head.init_weights()
    feats = _feats()
    empty = make_samples(1, SIZE, boxes=torch.zeros(0, 4), labels=torch.zeros(0))
    losses = head.loss(feats, empty)
    assert losses["loss_cls"] > 0
    assert losses["loss_bbox"] == 0
    if kind == "fcos":
        assert losses["loss_centerness"] == 0
    one = make_samples(1, SIZE, boxes=[[10.0, 12.0, 42.0, 50.0]], labels=[1])
    losses = head.loss(feats, one)
    assert all(value > 0 for value in losses.values()), losses
    sum(losses.values()).backward()
    reg = head.retina_reg if kind == "retina" else head.conv_reg
    assert reg.weight.grad.abs().sum() > 0


def test_plain_anchor_head_has_mmdetection_keys_and_losses():
    cfg = _tiny("retina")
    head_cfg = dict(cfg.bbox_head)
    for key in ("stacked_convs", "type"):
        head_cfg.pop(key)
    head = MODELS.build(dict(type="AnchorHead", **head_cfg, train_cfg=cfg.train_cfg))
    assert sorted(head.state_dict()) == [
        "conv_cls.bias",
        "conv_cls.weight",
        "conv_reg.bias",
        "conv_reg.weight",
    ]
    assert head.conv_cls.out_channels == 9 * 3 and head.conv_reg.kernel_size == (1, 1)
    empty = make_samples(1, SIZE, boxes=torch.zeros(0, 4), labels=torch.zeros(0))
    losses = head.loss(_feats(), empty)
    assert losses["loss_cls"] > 0 and losses["loss_bbox"] == 0
    one = make_samples(1, SIZE, boxes=[[10.0, 12.0, 42.0, 50.0]], labels=[2])
    losses = head.loss(_feats(), one)
    assert losses["loss_cls"] > 0 and losses["loss_bbox"] > 0


def test_fcos_targets_against_a_per_point_reference():
    head = _head("fcos", center_sampling=True)
    points = head.prior_generator.grid_priors([(8, 8), (4, 4), (2, 2), (1, 1), (1, 1)])
    gts = [
        InstanceData(
            bboxes=torch.tensor([[4.0, 4.0, 60.0, 40.0], [10.0, 8.0, 30.0, 30.0]]),
            labels=torch.tensor([0, 2]),
        ),
        InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long)),
    ]
    labels, targets = head.get_targets(points, gts)
    assert (labels[1] == 3).all()
    strides = [8] * 64 + [16] * 16 + [32] * 4 + [64, 128]
    ranges = [head.regress_ranges[i] for i, n in enumerate([64, 16, 4, 1, 1]) for _ in range(n)]
    for t, ((x, y), stride, (lo, hi)) in enumerate(
        zip(torch.cat(points).tolist(), strides, ranges)
    ):
        best, best_area = 3, float("inf")
        for (x1, y1, x2, y2), label in zip(gts[0].bboxes.tolist(), gts[0].labels.tolist()):
            cx, cy, r = (x1 + x2) / 2, (y1 + y2) / 2, stride * 1.5
            inside = (
                min(
                    x - max(cx - r, x1),
                    y - max(cy - r, y1),
                    min(cx + r, x2) - x,
                    min(cy + r, y2) - y,
                )
                > 0
            )
            reach = max(x - x1, y - y1, x2 - x, y2 - y)
            area = (x2 - x1) * (y2 - y1)
            if inside and lo <= reach <= hi and area < best_area:
                best, best_area = label, area
                box = (x - x1, y - y1, x2 - x, y2 - y)
        assert labels[0, t] == best, t
        if best < 3:
            assert targets[0, t].tolist() == pytest.approx(box)
    assert (labels[0] < 3).sum() > 0


@pytest.mark.parametrize("kind", ["retina", "fcos"])
def test_detector_gradient_contract_predict_and_tensor_modes(kind):
    cfg = _tiny(kind)
    cfg.test_cfg.score_thr = 0.001  # an untrained head scores about 0.01 (its prior)
    model = MODELS.build(cfg)
    model.init_weights()
    samples = make_samples(2, SIZE)
    images = [torch.randint(0, 255, (3, SIZE, SIZE), dtype=torch.uint8) for _ in samples]
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), True)
    losses = model(**data, mode="loss")
    expected = {"loss_cls", "loss_bbox"} | ({"loss_centerness"} if kind == "fcos" else set())
    assert set(losses) == expected
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert_all_params_have_grad(model)
    model.eval()
    samples = make_samples(2, SIZE)
    samples[1].set_metainfo(dict(img_shape=(40, 50), scale_factor=(0.5, 0.5)))
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), False)
    with torch.no_grad():
        results = model(**data, mode="predict")
        raw = model(data["inputs"], mode="tensor")
    assert len(results) == 2 and len(raw) == (3 if kind == "fcos" else 2)
    for result, (h, w) in zip(results, [(SIZE, SIZE), (80, 100)]):
        pred = result.pred_instances
        assert 0 < len(pred) <= 100 and pred.bboxes.shape[1] == 4
        assert (pred.bboxes[:, 2] <= w + 1e-4).all() and (pred.bboxes[:, 3] <= h + 1e-4).all()
        assert (pred.scores[:-1] >= pred.scores[1:]).all() and (pred.scores > 0.001).all()
        assert pred.labels.max() < 3


@pytest.mark.parametrize(
    ("name", "count", "keys"),
    [
        (
            "retinanet/retinanet_r50_fpn_1x_coco.py",
            37_968_692,
            [
                "bbox_head.cls_convs.3.conv.weight",
                "bbox_head.retina_cls.bias",
                "bbox_head.retina_reg.weight",
                "neck.fpn_convs.4.conv.weight",
            ],
        ),
        (
            "fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py",
            32_295_322,
            [
                "bbox_head.cls_convs.0.gn.weight",
                "bbox_head.reg_convs.3.conv.weight",
                "bbox_head.conv_centerness.bias",
                "bbox_head.scales.4.scale",
                "bbox_head.conv_cls.weight",
            ],
        ),
    ],
)
def test_r50_models_have_mmdetection_sizes_and_keys(name, count, keys):
    model = MODELS.build(load_cfg(name).model)
    assert sum(p.numel() for p in model.parameters()) == count
    state = set(model.state_dict())
    for key in keys:
        assert key in state, key


def test_bad_arguments_are_reported():
    with pytest.raises(ValueError, match="cls_predictor_cfg"):
        _head("fcos", cls_predictor_cfg=dict(type="NormedConv2d"))
    with pytest.raises(ValueError, match="regress_ranges"):
        _head("fcos", regress_ranges=((-1, 64),))
    with pytest.raises(ValueError, match="stacked_convs"):
        _head("retina", stacked_convs=-1)
    with pytest.raises(KeyError, match="assigner"):
        _head("retina", train_cfg=dict(sampler=dict(type="PseudoSampler")))


def _reference_predict(head, cls_scores, bbox_preds, factors, metas, cfg):
    """mmdet's order: one image and one level at a time."""
    from torchvision.ops import batched_nms

    out = []
    for i, meta in enumerate(metas):
        all_boxes, all_scores, all_labels = [], [], []
        for lvl, (score, pred) in enumerate(zip(cls_scores, bbox_preds)):
            h, w = score.shape[-2:]
            prior = head.prior_generator.single_level_grid_priors((h, w), lvl)
            score = score[i].permute(1, 2, 0).reshape(-1, head.cls_out_channels).sigmoid()
            pred = pred[i].permute(1, 2, 0).reshape(-1, 4)
            flat = score.reshape(-1)
            keep = torch.nonzero(flat > cfg["score_thr"]).flatten()
            vals, order = flat[keep].sort(descending=True)
            keep = keep[order[: cfg["nms_pre"]]]
            anchors, labels = keep // head.cls_out_channels, keep % head.cls_out_channels
            boxes = head.bbox_coder.decode(prior[anchors], pred[anchors])
            h_img, w_img = meta["img_shape"]
            boxes = torch.stack(
                [
                    boxes[:, 0].clamp(0, w_img),
                    boxes[:, 1].clamp(0, h_img),
                    boxes[:, 2].clamp(0, w_img),
                    boxes[:, 3].clamp(0, h_img),
                ],
                -1,
            )
            s = flat[keep]
            if factors is not None:
                s = s * factors[lvl][i].reshape(-1).sigmoid()[anchors]
            all_boxes.append(boxes)
            all_scores.append(s)
            all_labels.append(labels)
        boxes, scores, labels = (torch.cat(t) for t in (all_boxes, all_scores, all_labels))
        sf = boxes.new_tensor(meta["scale_factor"]).repeat(2)
        boxes = boxes / sf
        keep = batched_nms(boxes, scores, labels, cfg["nms"]["iou_threshold"])[: cfg["max_per_img"]]
        out.append((boxes[keep], scores[keep], labels[keep]))
    return out


@pytest.mark.parametrize("kind", ["retina", "fcos"])
def test_batched_post_processing_equals_a_per_image_per_level_loop(kind):
    torch.manual_seed(0)
    head = _head(kind).eval()
    cfg = dict(nms_pre=40, score_thr=0.3, nms=dict(type="nms", iou_threshold=0.5), max_per_img=25)
    with torch.no_grad():
        outs = head(_feats(batch=2))
    metas = [
        dict(img_shape=(64, 64), scale_factor=(1.0, 1.0)),
        dict(img_shape=(50, 60), scale_factor=(0.5, 0.25)),
    ]
    factors = outs[2] if kind == "fcos" else None
    if kind == "fcos":
        ours = head.predict_by_feat(outs[0], outs[1], factors, metas, cfg=cfg, rescale=True)
    else:
        ours = head.predict_by_feat(outs[0], outs[1], metas, cfg=cfg, rescale=True)
    reference = _reference_predict(head, outs[0], outs[1], factors, metas, cfg)
    for mine, (boxes, scores, labels) in zip(ours, reference):
        assert 0 < len(mine) <= 25
        assert torch.allclose(mine.scores, scores, atol=1e-6)
        assert torch.allclose(mine.bboxes, boxes, atol=1e-4)
        assert torch.equal(mine.labels, labels)
    cfg["score_thr"] = 1.0  # nothing passes: empty results, not an error
    extra = (factors,) if kind == "fcos" else ()
    for result in head.predict_by_feat(*outs[:2], *extra, batch_img_metas=metas, cfg=cfg):
        assert len(result) == 0 and result.bboxes.shape == (0, 4)


def test_a_few_steps_decrease_the_retinanet_loss():
    torch.manual_seed(0)
    model = MODELS.build(_tiny("retina"))
    model.init_weights()
    optim = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    samples = make_samples(2, SIZE)
    images = [torch.randint(0, 255, (3, SIZE, SIZE), dtype=torch.uint8) for _ in samples]
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), True)
    values = []
    for _ in range(5):
        optim.zero_grad()
        loss = sum(model(**data, mode="loss").values())
        loss.backward()
        optim.step()
        values.append(float(loss.detach()))
    assert values[-1] < values[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    "config", ["shapes/retinanet_r18_fpn_shapes.py", "shapes/fcos_r18_fpn_shapes.py"]
)
def test_shapes_demo_reaches_bbox_map(tmp_path, config):
    """The dense-detector demos: tools/detection/train.py + test.py on the full Shapes set."""
    repo = repo_path("")
    data = os.path.join(repo, "data", "shapes_det")
    if not os.path.isfile(os.path.join(data, "annotations", "instances_val.json")):
        make_shapes("detection", data, seed=0)
    cfg = repo_path(f"{CONFIGS}/{config}")
    work = str(tmp_path / "work")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    subprocess.run(
        [sys.executable, "tools/detection/train.py", cfg, "--work-dir", work],
        cwd=repo,
        check=True,
        env=env,
    )
    ckpt = os.path.join(work, f"epoch_{load_cfg(config).train_cfg.max_epochs}.pth")
    subprocess.run(
        [sys.executable, "tools/detection/test.py", cfg, ckpt, "--work-dir", work],
        cwd=repo,
        check=True,
        env=env,
    )
    with open(os.path.join(work, "metrics.json")) as f:
        assert json.load(f)["coco/bbox_mAP"] >= 0.5
