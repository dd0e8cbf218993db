# The VisionBox RTMPose demo: a narrow CSPNeXt (RTMPose-t depth, two thirds of its width) with
# RTMPose's SimCC head (RTMCCHead, SimCCLabel, KLDiscretLoss), trained from scratch on VisionBox
# Shapes pose on a CPU with the RTMPose recipe of the shared base: strong augmentation
# (RandomBBoxTransform, YOLOXHSVRandomAug, Albumentation blur and coarse dropout), then
# PipelineSwitchHook to a milder pipeline for the last epochs, and an EMA of the weights.
# What changes for a small model trained from scratch on 96x128 crops: half the input, so half
# the SimCC sigma and a 3x4 last map (final conv 3x3, GAU of 128); AdamW at 1e-3 (RTMPose's 4e-3
# comes with a pretrained backbone and batch 1024; from scratch at batch 32 it learns several
# times slower); a 50-iteration warm-up; milder stage-1 geometry (rotation 30, scale 0.75-1.25).
# Make the data first:
#   python tools/make_shapes.py --task pose --out data/shapes_pose
# then
#   python tools/pose/train.py <this config>
#   python tools/pose/test.py <this config> work_dirs/<name>/epoch_<max_epochs>.pth
_base_ = ["../_base_/rtmpose_8xb256-420e_coco-256x192.py"]

max_epochs = 40
stage2_num_epochs = 10
base_lr = 1e-3
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
randomness = dict(seed=0)
optim_wrapper = dict(optimizer=dict(lr=base_lr, weight_decay=0.0))
param_scheduler = [
    dict(type="LinearLR", start_factor=1.0e-3, by_epoch=False, begin=0, end=50),
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
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(
    logger=dict(type="LoggerHook", interval=10),
    checkpoint=dict(_delete_=True, type="CheckpointHook", interval=max_epochs, max_keep_ckpts=1),
)
env_cfg = dict(dist_cfg=dict(backend="gloo"))

codec = dict(
    type="SimCCLabel",
    input_size=(96, 128),
    sigma=(2.45, 2.83),
    simcc_split_ratio=2.0,
    normalize=False,
    use_dark=False,
)
model = dict(
    backbone=dict(
        deepen_factor=0.167,
        widen_factor=0.25,
        norm_cfg=dict(type="BN"),
        init_cfg=dict(
            _delete_=True,
            type="Kaiming",
            layer="Conv2d",
            a=2.23606797749979,  # sqrt(5): CSPNeXt's default initialisation
            distribution="uniform",
            mode="fan_in",
            nonlinearity="leaky_relu",
        ),
    ),
    head=dict(
        in_channels=256,
        out_channels=11,
        input_size=codec["input_size"],
        in_featuremap_size=(3, 4),
        final_layer_kernel_size=3,
        gau_cfg=dict(hidden_dims=128, s=64),
        decoder=codec,
    ),
)

data_root = "data/shapes_pose/"
metainfo = dict(from_file=data_root + "dataset_info.py")
train_pipeline = [
    dict(type="LoadImage"),
    dict(type="GetBBoxCenterScale"),
    dict(type="RandomFlip", direction="horizontal"),
    dict(type="RandomBBoxTransform", scale_factor=[0.75, 1.25], rotate_factor=30),
    dict(type="TopdownAffine", input_size=codec["input_size"]),
    dict(type="YOLOXHSVRandomAug"),
    dict(
        type="Albumentation",
        transforms=[
            dict(type="Blur", p=0.1),
            dict(type="MedianBlur", p=0.1),
            dict(
                type="CoarseDropout",
                max_holes=1,
                max_height=0.3,
                max_width=0.3,
                min_holes=1,
                min_height=0.1,
                min_width=0.1,
                p=0.5,
            ),
        ],
    ),
    dict(type="GenerateTarget", encoder=codec),
    dict(type="PackPoseInputs"),
]
train_pipeline_stage2 = [
    dict(type="LoadImage"),
    dict(type="GetBBoxCenterScale"),
    dict(type="RandomFlip", direction="horizontal"),
    dict(type="RandomBBoxTransform", shift_factor=0.0, scale_factor=[0.9, 1.1], rotate_factor=20),
    dict(type="TopdownAffine", input_size=codec["input_size"]),
    dict(type="GenerateTarget", encoder=codec),
    dict(type="PackPoseInputs"),
]
val_pipeline = [
    dict(type="LoadImage"),
    dict(type="GetBBoxCenterScale"),
    dict(type="TopdownAffine", input_size=codec["input_size"]),
    dict(type="PackPoseInputs"),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file="annotations/keypoints_train.json",
        data_prefix=dict(img="train/"),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file="annotations/keypoints_val.json",
        data_prefix=dict(img="val/"),
        pipeline=val_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = [
    dict(type="PCKAccuracy", thr=0.05),
    dict(type="EPE"),
    dict(type="CocoMetric", ann_file=data_root + "annotations/keypoints_val.json"),
]
test_evaluator = val_evaluator
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
