# ReID model of DeepSORT / StrongSORT: ResNet-50 + GAP + LinearReIDHead (CE + triplet), trained on
# crops cut from MOT17 ground truth (visionbox.tracking.datasets.cut_reid_crops writes
# data/MOT17/reid/imgs and the train/val annotation files).
_base_ = ["../_base_/default_runtime.py"]

model = dict(
    type="BaseReID",
    data_preprocessor=dict(
        type="ReIDDataPreprocessor",
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True,
    ),
    backbone=dict(type="ResNet", depth=50, num_stages=4, out_indices=(3,), style="pytorch"),
    neck=dict(type="GlobalAveragePooling", kernel_size=(8, 4), stride=1),
    head=dict(
        type="LinearReIDHead",
        num_fcs=1,
        in_channels=2048,
        fc_channels=1024,
        out_channels=128,
        num_classes=380,
        loss_cls=dict(type="CrossEntropyLoss", loss_weight=1.0),
        loss_triplet=dict(type="TripletLoss", margin=0.3, loss_weight=1.0),
        norm_cfg=dict(type="BN1d"),
        act_cfg=dict(type="ReLU"),
    ),
    init_cfg=dict(type="Pretrained", checkpoint="torchvision://resnet50"),
)

data_root = "data/MOT17/"
train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=(128, 256), keep_ratio=False),
    dict(type="RandomFlip", prob=0.5, direction="horizontal"),
    dict(type="PackReIDInputs", meta_keys=("flip", "flip_direction")),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=(128, 256), keep_ratio=False),
    dict(type="PackReIDInputs"),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type="DefaultSampler", shuffle=True),
    dataset=dict(
        type="ReIDDataset",
        data_root=data_root,
        triplet_sampler=dict(num_ids=8, ins_per_id=4),
        data_prefix=dict(img_path="reid/"),
        ann_file="reid/meta/train_80.txt",
        pipeline=train_pipeline,
    ),
)

optim_wrapper = dict(
    type="OptimWrapper",
    clip_grad=None,
    optimizer=dict(type="SGD", lr=0.1, momentum=0.9, weight_decay=0.0001),
)
param_scheduler = [
    dict(type="LinearLR", start_factor=1.0 / 1000, by_epoch=False, begin=0, end=1000),
    dict(type="MultiStepLR", begin=0, end=6, by_epoch=True, milestones=[5], gamma=0.1),
]
train_cfg = dict(type="EpochBasedTrainLoop", max_epochs=6, val_interval=7)
