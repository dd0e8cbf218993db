# ByteTrack on VisionBox Shapes MOT over RTMDet (the detection package's, through its
# ``detection::`` config): a narrow CSPNeXt RTMDet (RTMDet-tiny depth, a third of its width)
# trained from scratch on the Shapes MOT training frames, then tracked with ByteTracker on the val
# sequences.
#
#   CFG=packages/tracking/src/visionbox/tracking/configs/shapes/bytetrack_rtmdet-tiny_shapes.py
#   python tools/make_shapes.py --task mot --out data/shapes_mot
#   python tools/tracking/train.py $CFG           # trains the detector on the frames
#   python tools/tracking/test.py $CFG work_dirs/bytetrack_rtmdet-tiny_shapes/epoch_8.pth
_base_ = ["detection::rtmdet/rtmdet_tiny_8xb32-300e_coco.py"]

# the tracking runtime (../_base_/default_runtime.py) in place of the detection one
default_scope = "tracking"
visualizer = dict(
    _delete_=True,
    type="TrackLocalVisualizer",
    vis_backends=[dict(type="LocalVisBackend")],
    name="visualizer",
)
custom_hooks = []


data_root = "data/shapes_mot/"
metainfo = dict(classes=("shape",))

detector = _base_.model
detector.pop("data_preprocessor")
detector.backbone.update(dict(widen_factor=0.125, init_cfg=None))
detector.neck.update(dict(in_channels=[32, 64, 128], out_channels=32))
# exponentiated distances (as RTMDet-m/l/x): tiny's linear ones start at zero-sized boxes and
# train too slowly from scratch for a demo of a few epochs
detector.bbox_head.update(dict(in_channels=32, feat_channels=32, num_classes=1, exp_on_reg=True))
detector.test_cfg.update(dict(nms_pre=1000, score_thr=0.05, max_per_img=100))
del _base_.model

model = dict(
    type="ByteTrack",
    data_preprocessor=dict(
        type="TrackDataPreprocessor",
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
    ),
    detector=detector,
    tracker=dict(
        type="ByteTracker",
        motion=dict(type="KalmanFilter"),
        obj_score_thrs=dict(high=0.6, low=0.1),
        init_track_thr=0.7,
        weight_iou_with_det_scores=True,
        match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
        num_frames_retain=30,
    ),
)
del detector

train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadTrackAnnotations"),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PackTrackInputs"),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadTrackAnnotations"),
    dict(type="PackTrackInputs"),
]
train_dataloader = dict(
    _delete_=True,
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type="DefaultSampler", shuffle=True),
    dataset=dict(
        type="MOTChallengeDataset",
        data_root=data_root,
        ann_file="seqmaps/SHAPES-train.txt",
        data_prefix=dict(img_path="SHAPES-train"),
        metainfo=metainfo,
        visibility_thr=0.2,
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type="TrackImgSampler"),
    dataset=dict(
        type="MOTChallengeDataset",
        data_root=data_root,
        ann_file="seqmaps/SHAPES-val.txt",
        data_prefix=dict(img_path="SHAPES-val"),
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type="MOTChallengeMetric", metric=["HOTA", "CLEAR", "Identity"])
test_evaluator = val_evaluator

max_epochs = 8
train_cfg = dict(
    _delete_=True, type="EpochBasedTrainLoop", max_epochs=max_epochs, val_interval=max_epochs
)
# the detection base's loops carry its scope, in which they would build the MOT datasets
val_cfg = dict(_delete_=True, type="ValLoop")
test_cfg = dict(_delete_=True, type="TestLoop")
optim_wrapper = dict(
    _delete_=True,
    type="OptimWrapper",
    optimizer=dict(type="AdamW", lr=0.004, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0, bias_decay_mult=0, bypass_duplicate=True),
)
param_scheduler = [
    dict(type="LinearLR", start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type="CosineAnnealingLR", by_epoch=True, begin=0, end=max_epochs, eta_min=1e-5),
]
default_hooks = dict(
    logger=dict(type="LoggerHook", interval=10),
    checkpoint=dict(type="CheckpointHook", interval=max_epochs, max_keep_ckpts=1),
    visualization=dict(_delete_=True, type="TrackVisualizationHook", draw=False),
)
randomness = dict(seed=0)
