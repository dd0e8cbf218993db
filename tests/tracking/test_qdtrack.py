"""QDTrack with a tiny Faster R-CNN from the detection package: key/reference clips from the
dataset, losses with gradients into the track head, tracking of a few frames; its losses."""

from __future__ import annotations

from pathlib import Path

import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from visionbox.core.config import Config
from visionbox.tracking.registry import DATASETS, MODELS

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "packages/tracking/src/visionbox/tracking/configs"
SHAPES = CONFIGS / "shapes" / "bytetrack_faster-rcnn_r18_fpn_shapes.py"


def _scoped(cfg):
    cfg = dict(cfg)
    cfg["_scope_"] = "detection"
    return cfg


def _model():
    init_default_scope("tracking")
    detector = Config.fromfile(str(SHAPES)).model.detector.to_dict()
    track_head = dict(
        type="QuasiDenseTrackHead",
        roi_extractor=_scoped(
            dict(
                type="SingleRoIExtractor",
                out_channels=64,
                roi_layer=dict(type="RoIAlign", output_size=7, sampling_ratio=2),
                featmap_strides=[4, 8, 16, 32],
            )
        ),
        embed_head=dict(
            type="QuasiDenseEmbedHead",
            num_convs=1,
            num_fcs=1,
            in_channels=64,
            conv_out_channels=32,
            fc_out_channels=64,
            embed_channels=32,
            norm_cfg=dict(type="GN", num_groups=8),
            loss_track_aux=dict(
                type="MarginL2Loss", neg_pos_ub=3, pos_margin=0, neg_margin=0.1, hard_mining=True
            ),
        ),
        train_cfg=dict(
            assigner=_scoped(
                dict(
                    type="MaxIoUAssigner",
                    pos_iou_thr=0.7,
                    neg_iou_thr=0.5,
                    min_pos_iou=0.5,
                    match_low_quality=False,
                )
            ),
            sampler=_scoped(dict(type="RandomSampler", num=64, pos_fraction=0.5, neg_pos_ub=3)),
        ),
    )
    return MODELS.build(
        dict(
            type="QDTrack",
            detector=detector,
            track_head=track_head,
            tracker=dict(type="QuasiDenseTracker", init_score_thr=0.0, obj_score_thr=0.0),
            data_preprocessor=dict(type="TrackDataPreprocessor", pad_size_divisor=32),
        )
    )


def _dataset(root, test_mode):
    pipeline = [
        dict(type="LoadImageFromFile"),
        dict(type="LoadTrackAnnotations"),
        dict(type="PackTrackInputs"),
    ]
    split = "val" if test_mode else "train"
    return DATASETS.build(
        dict(
            type="MOTChallengeDataset",
            data_root=str(root),
            ann_file=f"seqmaps/SHAPES-{split}.txt",
            data_prefix=dict(img_path=f"SHAPES-{split}"),
            pipeline=pipeline,
            test_mode=test_mode,
            ref_img_sampler=dict(num_ref_imgs=1, frame_range=3, filter_key_img=True),
        )
    )


def test_qdtrack_trains_on_key_reference_pairs_and_tracks(shapes_mot):
    model = _model()
    dataset = _dataset(shapes_mot, test_mode=False)
    item = dataset[10]
    assert item["inputs"].shape[0] == 2 and len(item["data_samples"]) == 2
    key, ref = item["data_samples"][0], item["data_samples"][1]
    assert key.frame_id == 10 and abs(ref.frame_id - 10) <= 3 and ref.frame_id != 10
    model.train()
    data = model.data_preprocessor(pseudo_collate([dataset[10], dataset[30]]), training=True)
    losses = model.loss(data["inputs"], data["data_samples"])
    assert {"loss_track", "loss_track_aux", "loss_rpn_cls", "loss_cls"} <= set(losses)
    total = sum(v.sum() for k, v in losses.items() if "loss" in k and isinstance(v, torch.Tensor))
    total.backward()
    for name, param in model.track_head.named_parameters():
        assert param.grad is not None, name
    model.eval()
    test_set = _dataset(shapes_mot, test_mode=True)
    with torch.no_grad():
        for idx in range(3):
            out = model.test_step(pseudo_collate([test_set[idx]]))
            frame = out[0][0]
            assert "pred_track_instances" in frame and "embeds" in frame.pred_det_instances
            assert frame.pred_det_instances.embeds.shape[1] == 32


def test_multi_positive_cross_entropy_against_a_plain_loop():
    loss = MODELS.build(dict(type="MultiPosCrossEntropyLoss", loss_weight=1.0))
    score = torch.randn(3, 5)
    label = torch.tensor([[1, 0, 0, 1, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 1]])
    expected = []
    for i in range(3):
        pos = [score[i, j] for j in range(5) if label[i, j]]
        neg = [score[i, j] for j in range(5) if not label[i, j]]
        total = sum(torch.exp(n - p) for p in pos for n in neg)
        expected.append(torch.log1p(total))
    assert torch.allclose(loss(score, label), torch.stack(expected).mean(), atol=1e-5)


def test_margin_l2_loss_hard_mines_negatives():
    loss = MODELS.build(
        dict(type="MarginL2Loss", neg_pos_ub=1, pos_margin=0, neg_margin=0.1, hard_mining=True)
    )
    pred = torch.tensor([[0.9, 0.8, 0.2, 0.05]])
    target = torch.tensor([[1, 0, 0, 0]])
    # one positive -> one negative kept: the hardest (0.8 - 0.1 = 0.7)
    expected = ((0.9 - 1) ** 2 + 0.7**2) / 2
    assert abs(loss(pred, target).item() - expected) < 1e-6
