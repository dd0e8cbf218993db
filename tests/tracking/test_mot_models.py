"""MOT models (DeepSORT/SORT, StrongSORT, ByteTrack, OCSORT) with a test detector on Shapes MOT:
predict through the dataset pipeline and the metric; inference API; ByteTrack's detector loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from visionbox.tracking.apis import inference_mot, init_track_model
from visionbox.tracking.registry import DATASETS, METRICS, MODELS

from . import toy_detector  # noqa: F401  (registers ColorBlobDetector)

PIPELINE = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadTrackAnnotations"),
    dict(type="Resize", scale=(192, 192), keep_ratio=True),
    dict(type="PackTrackInputs"),
]
PREPROCESSOR = dict(type="TrackDataPreprocessor", pad_size_divisor=32)
TINY_REID = dict(
    type="BaseReID",
    data_preprocessor=None,
    backbone=dict(type="ResNet", depth=18, base_channels=8, num_stages=4, out_indices=(3,)),
    neck=dict(type="GlobalAveragePooling"),
    head=dict(
        type="LinearReIDHead",
        num_fcs=1,
        in_channels=64,
        fc_channels=64,
        out_channels=32,
        num_classes=8,
        loss_cls=dict(type="CrossEntropyLoss"),
        loss_triplet=dict(type="TripletLoss"),
        norm_cfg=dict(type="BN1d"),
        act_cfg=dict(type="ReLU"),
    ),
)

MODELS_CFG = {
    "sort": dict(
        type="DeepSORT",
        detector=dict(type="ColorBlobDetector"),
        tracker=dict(type="SORTTracker", obj_score_thr=0.5, match_iou_thr=0.3, reid=None),
    ),
    "deepsort": dict(
        type="DeepSORT",
        detector=dict(type="ColorBlobDetector"),
        reid=TINY_REID,
        tracker=dict(
            type="SORTTracker",
            obj_score_thr=0.5,
            match_iou_thr=0.3,
            reid=dict(num_samples=3, img_scale=(32, 16), match_score_thr=2.0),
        ),
    ),
    "strongsort": dict(
        type="StrongSORT",
        detector=dict(type="ColorBlobDetector"),
        reid=TINY_REID,
        cmc=dict(type="CameraMotionCompensation", num_iters=5),
        tracker=dict(
            type="StrongSORTTracker",
            match_iou_thr=0.3,
            momentums=dict(embeds=0.1),
            reid=dict(img_scale=(32, 16)),
        ),
    ),
    "bytetrack": dict(
        type="ByteTrack",
        detector=dict(type="ColorBlobDetector"),
        tracker=dict(type="ByteTracker", init_track_thr=0.6),
    ),
    "ocsort": dict(
        type="OCSORT",
        detector=dict(type="ColorBlobDetector"),
        tracker=dict(type="OCSORTTracker", init_track_thr=0.6),
    ),
}


def _dataset(root):
    init_default_scope("tracking")
    return DATASETS.build(
        dict(
            type="MOTChallengeDataset",
            data_root=str(root),
            ann_file="seqmaps/SHAPES-val.txt",
            data_prefix=dict(img_path="SHAPES-val"),
            pipeline=PIPELINE,
            test_mode=True,
        )
    )


@pytest.mark.parametrize("name", sorted(MODELS_CFG))
def test_model_tracks_a_shapes_sequence(name, shapes_mot):
    init_default_scope("tracking")
    model = MODELS.build(dict(MODELS_CFG[name], data_preprocessor=PREPROCESSOR)).eval()
    dataset = _dataset(shapes_mot)
    metric = METRICS.build(dict(type="MOTChallengeMetric"))
    num_frames = 80  # the first sequence
    ids_per_frame = []
    with torch.no_grad():
        for idx in range(num_frames):
            out = model.test_step(pseudo_collate([dataset[idx]]))
            frame = out[0][0]
            assert {"bboxes", "scores", "labels", "instances_id"} <= set(
                frame.pred_track_instances.keys()
            )
            assert "pred_det_instances" in frame
            ids_per_frame.append(frame.pred_track_instances.instances_id.tolist())
            metric.process({}, out)
    result = metric.compute_metrics(metric.results)
    assert result["MOTA"] > 0.3 and result["IDF1"] > 0.3, result  # a colour threshold, no training
    assert len({i for ids in ids_per_frame for i in ids}) < 40  # ids persist over frames
    if name in ("deepsort", "strongsort"):
        assert "embeds" in model.tracker._items


def test_bytetrack_trains_its_detector():
    init_default_scope("tracking")
    model = MODELS.build(dict(MODELS_CFG["bytetrack"], data_preprocessor=PREPROCESSOR))
    with pytest.raises(NotImplementedError, match="train its detector"):
        MODELS.build(dict(MODELS_CFG["sort"], data_preprocessor=PREPROCESSOR)).loss(None, None)
    assert model.with_detector and model.with_tracker and not model.with_reid


def test_inference_api_tracks_frames(shapes_mot):
    cfg = dict(
        default_scope="tracking",
        model=dict(MODELS_CFG["bytetrack"], data_preprocessor=PREPROCESSOR),
        test_dataloader=dict(dataset=dict(pipeline=PIPELINE)),
    )
    model = init_track_model(cfg)
    import cv2

    seq = shapes_mot / "SHAPES-val" / "SHAPES-02" / "img1"
    ids = []
    for t in range(6):
        img = cv2.imread(str(seq / f"{t + 1:06d}.jpg"))
        sample = inference_mot(model, img, frame_id=t, video_len=80)
        pred = sample[0].pred_track_instances
        assert pred.bboxes.shape[1] == 4 and (pred.bboxes[:, 2:] <= 256 + 1).all()
        ids.append(sorted(pred.instances_id.tolist()))
    assert ids[-1] and set(ids[-1]) <= set(range(20))
    assert ids[3] == ids[4]  # the same objects keep their ids


def test_reid_trains_and_every_parameter_gets_a_gradient():
    init_default_scope("tracking")
    reid = MODELS.build(
        dict(
            TINY_REID,
            data_preprocessor=dict(type="ReIDDataPreprocessor", mean=[0] * 3, std=[1] * 3),
        )
    )
    from visionbox.core.structures import BaseDataSample

    samples = []
    for label in [0, 0, 1, 1]:
        s = BaseDataSample()
        s.set_field(torch.tensor([label]), "gt_label")
        samples.append(s)
    losses = reid(torch.rand(4, 3, 64, 32), samples, mode="loss")
    assert {"triplet_loss", "ce_loss", "accuracy_top-1"} <= set(losses)
    (losses["triplet_loss"] + losses["ce_loss"]).backward()
    for name, param in reid.named_parameters():
        assert param.grad is not None, name
    assert reid(torch.rand(2, 3, 64, 32), mode="tensor").shape == (2, 32)


def test_triplet_loss_against_a_plain_loop():
    loss = MODELS.build(dict(type="TripletLoss", margin=0.3))
    x = torch.randn(6, 4)
    y = torch.tensor([0, 0, 1, 1, 2, 2])
    expected = []
    for i in range(6):
        d = [(x[i] - x[j]).norm().item() for j in range(6)]
        pos = max(d[j] for j in range(6) if y[j] == y[i])
        neg = min(d[j] for j in range(6) if y[j] != y[i])
        expected.append(max(0.0, pos - neg + 0.3))
    assert loss(x, y).item() == pytest.approx(np.mean(expected), rel=1e-5)


def test_track_preprocessor_clips_and_detection_batches():
    init_default_scope("tracking")
    pre = MODELS.build(
        dict(type="TrackDataPreprocessor", pad_size_divisor=32, use_det_processor=True)
    )
    from visionbox.core.structures import BaseDataSample
    from visionbox.tracking.structures import FrameDataSample, TrackDataSample

    clip = TrackDataSample()
    clip.video_data_samples = [FrameDataSample(), FrameDataSample()]
    out = pre(dict(inputs=[torch.zeros(2, 3, 50, 70)], data_samples=[clip]))
    assert out["inputs"].shape == (1, 2, 3, 64, 96)
    assert clip[1].batch_input_shape == (64, 96)
    det = pre(dict(inputs=[torch.zeros(3, 50, 70)], data_samples=[BaseDataSample()]), training=True)
    assert det["inputs"].shape == (1, 3, 64, 96)
