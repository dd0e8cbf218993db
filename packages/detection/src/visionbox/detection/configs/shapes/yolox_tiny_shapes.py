# YOLOX on VisionBox Shapes: a narrow CSPDarknet (YOLOX-tiny depth, a third of its width) trained
# from scratch on 256x256 images with the YOLOX recipe (Mosaic, RandomAffine, MixUp, HSV, the mode
# switch for the last epochs and an EMA of the weights), small enough for 2 CPU cores: 12 epochs
# reach bbox mAP 0.73 on Shapes val in about 85 CPU seconds (1 thread).
#
#   CFG=packages/detection/src/visionbox/detection/configs/shapes/yolox_tiny_shapes.py
#   python tools/make_shapes.py --task detection --out data/shapes_det
#   python tools/detection/train.py $CFG
#   python tools/detection/test.py $CFG work_dirs/yolox_tiny_shapes/epoch_12.pth
_base_ = "../yolox/yolox_tiny_8xb8-300e_coco.py"

classes = ("circle", "square", "triangle", "star", "cross")
metainfo = dict(classes=classes)
data_root = "data/shapes_det/"
img_scale = (160, 160)  # width, height (the 256x256 images are trained and tested at 160)

model = dict(
    data_preprocessor=dict(
        batch_augments=[
            dict(
                type="BatchSyncRandomResize",
                random_size_range=(128, 192),
                size_divisor=32,
                interval=5,
            )
        ]
    ),
    backbone=dict(deepen_factor=0.33, widen_factor=0.125),
    neck=dict(in_channels=[32, 64, 128], out_channels=32),
    bbox_head=dict(in_channels=32, feat_channels=32, num_classes=len(classes)),
    test_cfg=dict(score_thr=0.01, nms=dict(type="nms", iou_threshold=0.65)),
)

train_pipeline = [
    dict(type="Mosaic", img_scale=img_scale, pad_val=114.0),
    dict(
        type="RandomAffine",
        scaling_ratio_range=(0.5, 1.5),
        border=(-img_scale[0] // 2, -img_scale[1] // 2),
    ),
    dict(type="MixUp", img_scale=img_scale, ratio_range=(0.8, 1.6), pad_val=114.0),
    dict(type="YOLOXHSVRandomAug"),
    dict(type="RandomFlip", prob=0.5),
    dict(type="Resize", scale=img_scale, keep_ratio=True),
    dict(type="Pad", pad_to_square=True, pad_val=dict(img=(114.0, 114.0, 114.0))),
    dict(type="FilterAnnotations", min_gt_bbox_wh=(1, 1), keep_empty=False),
    dict(type="PackDetInputs"),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=img_scale, keep_ratio=True),
    dict(type="Pad", pad_to_square=True, pad_val=dict(img=(114.0, 114.0, 114.0))),
    dict(type="LoadAnnotations", with_bbox=True),
    dict(
        type="PackDetInputs",
        meta_keys=("img_id", "img_path", "ori_shape", "img_shape", "scale_factor"),
    ),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type="MultiImageMixDataset",
        dataset=dict(
            type="CocoDataset",
            data_root=data_root,
            metainfo=metainfo,
            ann_file="annotations/instances_train.json",
            data_prefix=dict(img="train/"),
            pipeline=[dict(type="LoadImageFromFile"), dict(type="LoadAnnotations", with_bbox=True)],
            filter_cfg=dict(filter_empty_gt=False, min_size=32),
        ),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type="CocoDataset",
        data_root=data_root,
        metainfo=metainfo,
        ann_file="annotations/instances_val.json",
        data_prefix=dict(img="val/"),
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(
    type="CocoMetric",
    ann_file=data_root + "annotations/instances_val.json",
    metric="bbox",
    classwise=True,
)
test_evaluator = val_evaluator

max_epochs = 12
num_last_epochs = 4
train_cfg = dict(type="EpochBasedTrainLoop", max_epochs=max_epochs, val_interval=max_epochs)

base_lr = 0.004
optim_wrapper = dict(
    type="OptimWrapper",
    optimizer=dict(_delete_=True, type="AdamW", lr=base_lr, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
)
param_scheduler = [
    dict(type="QuadraticWarmupLR", by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(
        type="CosineAnnealingLR",
        eta_min=base_lr * 0.05,
        begin=1,
        T_max=max_epochs - num_last_epochs,
        end=max_epochs - num_last_epochs,
        by_epoch=True,
        convert_to_iter_based=True,
    ),
    dict(
        type="ConstantLR",
        by_epoch=True,
        factor=1,
        begin=max_epochs - num_last_epochs,
        end=max_epochs,
    ),
]
default_hooks = dict(
    logger=dict(type="LoggerHook", interval=10),
    checkpoint=dict(type="CheckpointHook", interval=max_epochs, max_keep_ckpts=1),
)
custom_hooks = [
    dict(type="YOLOXModeSwitchHook", num_last_epochs=num_last_epochs, priority=48),
    dict(type="SyncNormHook", priority=48),
    dict(
        type="EMAHook",
        ema_type="ExpMomentumEMA",
        momentum=0.0002,
        gamma=200,
        update_buffers=True,
        priority=49,
    ),
]
randomness = dict(seed=0)
auto_scale_lr = dict(enable=False, base_batch_size=8)
