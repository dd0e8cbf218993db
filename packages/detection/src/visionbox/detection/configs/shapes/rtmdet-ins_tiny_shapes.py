# RTMDet-Ins on VisionBox Shapes: the RTMDet Shapes demo (narrow CSPNeXt, 160x160, the RTMDet
# recipe) with RTMDet-Ins-tiny's head (dynamic mask kernels on 8 prototype maps at stride 8, a dice
# loss), the masks carried through CachedMosaic, RandomResize, RandomCrop and CachedMixUp, and
# evaluated with box and mask AP.
#
#   CFG=packages/detection/src/visionbox/detection/configs/shapes/rtmdet-ins_tiny_shapes.py
#   python tools/make_shapes.py --task detection --out data/shapes_det
#   python tools/detection/train.py $CFG
#   python tools/detection/test.py $CFG work_dirs/rtmdet-ins_tiny_shapes/epoch_16.pth
_base_ = "./rtmdet_tiny_shapes.py"

img_scale = (160, 160)  # width, height

model = dict(
    # RTMDet-Ins-tiny's head (its defaults: QFL, GIoU, dice, SiLU, BN) with 64-channel towers: its
    # class and box branches share one tower, which at the neck's 32 channels leaves the classes
    # undertrained in 16 epochs (segm mAP 0.49; 0.67 at 64)
    bbox_head=dict(
        _delete_=True,
        type="RTMDetInsSepBNHead",
        num_classes=5,
        in_channels=32,
        feat_channels=64,
        stacked_convs=2,
    ),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.01,
        nms=dict(type="nms", iou_threshold=0.6),
        max_per_img=100,
        mask_thr_binary=0.5,
    ),
)

train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True, with_mask=True),
    dict(type="CachedMosaic", img_scale=img_scale, pad_val=114.0, max_cached_images=20),
    dict(type="RandomResize", scale=(320, 320), ratio_range=(0.5, 1.5), keep_ratio=True),
    dict(type="RandomCrop", crop_size=img_scale, recompute_bbox=True, allow_negative_crop=True),
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
    dict(type="LoadAnnotations", with_bbox=True, with_mask=True),
    dict(type="RandomResize", scale=img_scale, ratio_range=(0.5, 1.5), keep_ratio=True),
    dict(type="RandomCrop", crop_size=img_scale, recompute_bbox=True, allow_negative_crop=True),
    dict(type="FilterAnnotations", min_gt_bbox_wh=(1, 1)),
    dict(type="YOLOXHSVRandomAug"),
    dict(type="RandomFlip", prob=0.5),
    dict(type="Pad", size=img_scale, pad_val=dict(img=(114, 114, 114))),
    dict(type="PackDetInputs"),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=img_scale, keep_ratio=True),
    dict(type="Pad", size=img_scale, pad_val=dict(img=(114, 114, 114))),
    dict(type="LoadAnnotations", with_bbox=True, with_mask=True),
    dict(
        type="PackDetInputs",
        meta_keys=("img_id", "img_path", "ori_shape", "img_shape", "scale_factor"),
    ),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(metric=["bbox", "segm"])
test_evaluator = val_evaluator

max_epochs = 16
stage2_num_epochs = 4
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
