# ByteTrack: YOLOX-X (the detection package's, one class) trained on CrowdHuman + MOT17
# half-train with the YOLOX recipe, tracked with ByteTracker and evaluated on MOT17 half-val
# (mmdetection 3.x's config). The detection config is the only base, as in mmdetection: the
# tracking runtime and the MOT17 settings (the tracking package's _base_ files) are written here
# because mmengine does not allow two bases to define the same keys.
_base_ = ["detection::yolox/yolox_x_8xb8-300e_coco.py"]


def _scoped(cfg, scope="detection"):
    """Give every component dict its scope (``_scope_='detection'``), so that detection types
    (the detector, its transforms, datasets, hooks and schedulers) resolve from this tracking
    config."""
    if isinstance(cfg, dict):
        keep = ("norm_cfg", "act_cfg", "conv_cfg", "roi_layer", "nms", "init_cfg")
        out = {k: (v if k in keep else _scoped(v, scope)) for k, v in cfg.items()}
        if "type" in out:
            out["_scope_"] = scope
        return out
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(_scoped(v, scope) for v in cfg)
    return cfg


default_scope = "tracking"
dataset_type = "MOTChallengeDataset"
data_root = "data/MOT17/"

img_scale = (1440, 800)  # width, height
batch_size = 4

detector = _base_.model
detector.pop("data_preprocessor")
detector.bbox_head.update(dict(num_classes=1))
detector.test_cfg.nms.update(dict(iou_threshold=0.7))
detector["init_cfg"] = dict(
    type="Pretrained",
    checkpoint="https://download.openmmlab.com/mmdetection/v2.0/yolox/yolox_x_8x8_300e_coco/"
    "yolox_x_8x8_300e_coco_20211126_140254-1ef88d67.pth",
)
del _base_.model

model = dict(
    type="ByteTrack",
    data_preprocessor=dict(
        type="TrackDataPreprocessor",
        pad_size_divisor=32,
        # The detector is trained jointly on single images: use_det_processor batches them as a
        # detection data preprocessor would, with YOLOX's multi-scale batches.
        use_det_processor=True,
        batch_augments=[
            dict(
                type="BatchSyncRandomResize",
                _scope_="detection",
                random_size_range=(576, 1024),
                size_divisor=32,
                interval=10,
            )
        ],
    ),
    detector=_scoped(detector),
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

train_pipeline = _scoped(
    [
        dict(type="Mosaic", img_scale=img_scale, pad_val=114.0, bbox_clip_border=False),
        dict(
            type="RandomAffine",
            scaling_ratio_range=(0.1, 2),
            border=(-img_scale[0] // 2, -img_scale[1] // 2),
            bbox_clip_border=False,
        ),
        dict(
            type="MixUp",
            img_scale=img_scale,
            ratio_range=(0.8, 1.6),
            pad_val=114.0,
            bbox_clip_border=False,
        ),
        dict(type="YOLOXHSVRandomAug"),
        dict(type="RandomFlip", prob=0.5),
        dict(type="Resize", scale=img_scale, keep_ratio=True, clip_object_border=False),
        dict(type="Pad", size_divisor=32, pad_val=dict(img=(114.0, 114.0, 114.0))),
        dict(type="FilterAnnotations", min_gt_bbox_wh=(1, 1), keep_empty=False),
        dict(type="PackDetInputs"),
    ]
)


def _coco_part(root, ann_file, img):
    return dict(
        type="CocoDataset",
        data_root=root,
        ann_file=ann_file,
        data_prefix=dict(img=img),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        metainfo=dict(classes=("pedestrian",)),
        pipeline=[
            dict(type="LoadImageFromFile", backend_args=_base_.backend_args),
            dict(type="LoadAnnotations", with_bbox=True),
        ],
    )


test_pipeline = [
    dict(type="LoadImageFromFile", backend_args=_base_.backend_args),
    dict(type="Resize", scale=img_scale, keep_ratio=True),
    dict(type="Pad", size_divisor=32, pad_val=dict(img=(114.0, 114.0, 114.0))),
    dict(type="LoadTrackAnnotations"),
    dict(type="PackTrackInputs"),
]
# The detector's training data: MOT17 half-train (COCO format) and CrowdHuman train + val.
train_dataloader = dict(
    _delete_=True,
    batch_size=batch_size,
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type="DefaultSampler", shuffle=True),
    dataset=_scoped(
        dict(
            type="MultiImageMixDataset",
            dataset=dict(
                type="ConcatDataset",
                datasets=[
                    _coco_part("data/MOT17", "annotations/half-train_cocoformat.json", "train"),
                    _coco_part("data/crowdhuman", "annotations/crowdhuman_train.json", "train"),
                    _coco_part("data/crowdhuman", "annotations/crowdhuman_val.json", "val"),
                ],
            ),
            pipeline=train_pipeline,
        )
    ),
)
# Tracking on the second half of every MOT17 train sequence, read from its MOTChallenge folder.
val_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    pin_memory=True,
    drop_last=False,
    sampler=dict(type="TrackImgSampler"),  # image based
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file="",
        frame_range=(0.5, 1.0),
        data_prefix=dict(img_path="train"),
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

# optimizer (8 GPUs)
base_lr = 0.001 / 8 * batch_size
optim_wrapper = dict(optimizer=dict(lr=base_lr))

# training settings
max_epochs = 80
num_last_epochs = 10
interval = 5

train_cfg = dict(type="EpochBasedTrainLoop", max_epochs=max_epochs, val_begin=70, val_interval=1)
val_cfg = dict(type="ValLoop")
test_cfg = dict(type="TestLoop")

# learning policy
param_scheduler = [
    dict(
        # quadratic warm-up over 1 epoch
        type="QuadraticWarmupLR",
        _scope_="detection",
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True,
    ),
    dict(
        # cosine from epoch 1 to 70
        type="CosineAnnealingLR",
        eta_min=base_lr * 0.05,
        begin=1,
        T_max=max_epochs - num_last_epochs,
        end=max_epochs - num_last_epochs,
        by_epoch=True,
        convert_to_iter_based=True,
    ),
    dict(
        # fixed lr during the last 10 epochs
        type="ConstantLR",
        by_epoch=True,
        factor=1,
        begin=max_epochs - num_last_epochs,
        end=max_epochs,
    ),
]

custom_hooks = _scoped(
    [
        dict(type="YOLOXModeSwitchHook", num_last_epochs=num_last_epochs, priority=48),
        dict(type="SyncNormHook", priority=48),
        dict(
            type="EMAHook",
            # EMAHook builds its averaged model in the default (tracking) scope.
            ema_type="detection.ExpMomentumEMA",
            momentum=0.0001,
            update_buffers=True,
            priority=49,
        ),
    ]
)

# runtime (the tracking package's default_runtime.py)
default_hooks = dict(
    _delete_=True,
    timer=dict(type="IterTimerHook"),
    logger=dict(type="LoggerHook", interval=50),
    param_scheduler=dict(type="ParamSchedulerHook"),
    checkpoint=dict(type="CheckpointHook", interval=1, max_keep_ckpts=10),
    sampler_seed=dict(type="DistSamplerSeedHook"),
    visualization=dict(type="TrackVisualizationHook", draw=False),
)
vis_backends = [dict(type="LocalVisBackend")]
visualizer = dict(
    _delete_=True, type="TrackLocalVisualizer", vis_backends=vis_backends, name="visualizer"
)

# evaluator
val_evaluator = dict(
    _delete_=True,
    type="MOTChallengeMetric",
    metric=["HOTA", "CLEAR", "Identity"],
    postprocess_tracklet_cfg=[
        dict(type="InterpolateTracklets", min_num_frames=5, max_num_frames=20)
    ],
)
test_evaluator = val_evaluator

# base_batch_size = (8 GPUs) x (4 samples per GPU)
auto_scale_lr = dict(base_batch_size=32)

del detector
del _base_.train_dataset
