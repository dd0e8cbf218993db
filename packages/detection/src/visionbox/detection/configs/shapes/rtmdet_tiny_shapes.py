# RTMDet on VisionBox Shapes: a narrow CSPNeXt (RTMDet-tiny depth, a third of its width) trained
# from scratch on 256x256 images at 160x160 with the RTMDet recipe (CachedMosaic, RandomResize,
# RandomCrop, HSV, CachedMixUp; PipelineSwitchHook to the light pipeline for the last epochs; an
# EMA of the weights), small enough for 2 CPU cores.
#
# One change to RTMDet-tiny's head: exponentiated distances (``exp_on_reg=True``, as RTMDet-m/l/x).
# Tiny's linear distances start at zero-sized boxes (IoU 0 with everything) and, from scratch and
# in 16 epochs, leave the larger shapes undetected (bbox mAP 0.31); with them the same recipe
# reaches bbox mAP 0.86.
#
#   CFG=packages/detection/src/visionbox/detection/configs/shapes/rtmdet_tiny_shapes.py
#   python tools/make_shapes.py --task detection --out data/shapes_det
#   python tools/detection/train.py $CFG
#   python tools/detection/test.py $CFG work_dirs/rtmdet_tiny_shapes/epoch_16.pth
_base_ = "../rtmdet/rtmdet_tiny_8xb32-300e_coco.py"

classes = ("circle", "square", "triangle", "star", "cross")
metainfo = dict(classes=classes)
data_root = "data/shapes_det/"
img_scale = (160, 160)  # width, height (the 256x256 images are trained and tested at 160)

model = dict(
    backbone=dict(widen_factor=0.125, init_cfg=None),
    neck=dict(in_channels=[32, 64, 128], out_channels=32),
    bbox_head=dict(in_channels=32, feat_channels=32, num_classes=len(classes), exp_on_reg=True),
    test_cfg=dict(nms_pre=1000, score_thr=0.01, max_per_img=100),
)

train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True),
    dict(type="CachedMosaic", img_scale=img_scale, pad_val=114.0, max_cached_images=20),
    dict(type="RandomResize", scale=(320, 320), ratio_range=(0.5, 1.5), keep_ratio=True),
    dict(type="RandomCrop", crop_size=img_scale),
    dict(type="YOLOXHSVRandomAug"),
    dict(type="RandomFlip", prob=0.5),
    dict(type="Pad", size=img_scale, pad_val=dict(img=(114, 114, 114))),
    dict(
        type="CachedMixUp",
        img_scale=img_scale,
        ratio_range=(1.0, 1.0),
        max_cached_images=10,
        pad_val=(114, 114, 114),
        prob=0.5,
    ),
    dict(type="FilterAnnotations", min_gt_bbox_wh=(1, 1)),
    dict(type="PackDetInputs"),
]
train_pipeline_stage2 = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True),
    dict(type="RandomResize", scale=img_scale, ratio_range=(0.5, 1.5), keep_ratio=True),
    dict(type="RandomCrop", crop_size=img_scale),
    dict(type="YOLOXHSVRandomAug"),
    dict(type="RandomFlip", prob=0.5),
    dict(type="Pad", size=img_scale, pad_val=dict(img=(114, 114, 114))),
    dict(type="FilterAnnotations", min_gt_bbox_wh=(1, 1)),
    dict(type="PackDetInputs"),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=img_scale, keep_ratio=True),
    dict(type="Pad", size=img_scale, pad_val=dict(img=(114, 114, 114))),
    dict(type="LoadAnnotations", with_bbox=True),
    dict(
        type="PackDetInputs",
        meta_keys=("img_id", "img_path", "ori_shape", "img_shape", "scale_factor"),
    ),
]

train_dataloader = dict(
    _delete_=True,
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type="DefaultSampler", shuffle=True),
    dataset=dict(
        type="CocoDataset",
        data_root=data_root,
        metainfo=metainfo,
        ann_file="annotations/instances_train.json",
        data_prefix=dict(img="train/"),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    _delete_=True,
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type="DefaultSampler", shuffle=False),
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
    _delete_=True,
    type="CocoMetric",
    ann_file=data_root + "annotations/instances_val.json",
    metric="bbox",
    classwise=True,
)
test_evaluator = val_evaluator

max_epochs = 16
stage2_num_epochs = 4
base_lr = 0.004
train_cfg = dict(
    type="EpochBasedTrainLoop",
    max_epochs=max_epochs,
    val_interval=max_epochs,
    dynamic_intervals=None,
)
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(type="LinearLR", start_factor=1.0e-3, by_epoch=False, begin=0, end=40),
    dict(
        type="CosineAnnealingLR",
        eta_min=base_lr * 0.05,
        begin=max_epochs // 2,
        end=max_epochs,
        T_max=max_epochs // 2,
        by_epoch=True,
        convert_to_iter_based=True,
    ),
]
default_hooks = dict(
    logger=dict(type="LoggerHook", interval=10),
    checkpoint=dict(type="CheckpointHook", interval=max_epochs, max_keep_ckpts=1),
)
custom_hooks = [
    dict(
        type="EMAHook",
        ema_type="ExpMomentumEMA",
        momentum=0.0002,
        gamma=200,
        update_buffers=True,
        priority=49,
    ),
    dict(
        type="PipelineSwitchHook",
        switch_epoch=max_epochs - stage2_num_epochs,
        switch_pipeline=train_pipeline_stage2,
    ),
]
randomness = dict(seed=0)
auto_scale_lr = dict(enable=False, base_batch_size=8)
