# SiamRPN++ on VisionBox Shapes SOT: a narrow ResNet-18 with the SOT strides and dilations
# (SOTResNet) at half SiamRPN++'s crop sizes (template 63, search 127: 7x7 and 15x15 maps,
# 9x9 score maps; anchors of scale 4), trained from scratch on CPU on template/search pairs of
# 40 Shapes SOT training videos (more than make_shapes' default 8: the appearance variety
# matters), then tracked (one-pass evaluation) on the 4 val videos.
#
#   CFG=packages/tracking/src/visionbox/tracking/configs/shapes/siamese-rpn_r18_shapes.py
#   python tools/make_shapes.py --task sot --out data/shapes_sot --num-train 40 --num-val 4
#   python tools/tracking/train.py $CFG
#   python tools/tracking/test.py $CFG work_dirs/siamese-rpn_r18_shapes/epoch_6.pth
_base_ = ["../_base_/default_runtime.py"]

data_root = "data/shapes_sot/"
# Half of SiamRPN++'s sizes (127 / 255 / 511): the Shapes targets are 36-56 px and move slowly.
crop_size = 255
exemplar_size = 63
search_size = 127

model = dict(
    type="SiamRPN",
    data_preprocessor=dict(
        type="TrackDataPreprocessor",
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
    ),
    backbone=dict(
        type="SOTResNet",
        depth=18,
        base_channels=16,
        out_indices=(1, 2, 3),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        frozen_stages=-1,
        norm_eval=False,
    ),
    neck=dict(
        type="ChannelMapper",
        in_channels=[32, 64, 128],
        out_channels=32,
        kernel_size=1,
        norm_cfg=dict(type="BN"),
        act_cfg=None,
    ),
    head=dict(
        type="SiameseRPNHead",
        anchor_generator=dict(
            type="SiameseRPNAnchorGenerator", strides=[8], ratios=[0.33, 0.5, 1, 2, 3], scales=[4]
        ),
        in_channels=[32, 32, 32],
        weighted_sum=True,
        bbox_coder=dict(
            type="detection.DeltaXYWHBBoxCoder",
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[1.0, 1.0, 1.0, 1.0],
        ),
        loss_cls=dict(type="CrossEntropyLoss", reduction="sum", loss_weight=1.0),
        loss_bbox=dict(type="L1Loss", reduction="sum", loss_weight=1.2),
    ),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type="detection.MaxIoUAssigner",
                pos_iou_thr=0.6,
                neg_iou_thr=0.3,
                min_pos_iou=0.6,
                match_low_quality=False,
            ),
            sampler=dict(
                type="detection.RandomSampler", num=64, pos_fraction=0.25, add_gt_as_proposals=False
            ),
            num_neg=16,
            exemplar_size=exemplar_size,
            search_size=search_size,
        )
    ),
    test_cfg=dict(
        exemplar_size=exemplar_size,
        search_size=search_size,
        context_amount=0.5,
        center_size=7,
        rpn=dict(penalty_k=0.05, window_influence=0.42, lr=0.38),
    ),
)

train_pipeline = [
    dict(type="PairSampling", frame_range=30, pos_prob=0.8, filter_template_img=False),
    dict(type="LoadMultiImagesFromFile"),
    dict(
        type="SeqCropLikeSiamFC",
        context_amount=0.5,
        exemplar_size=exemplar_size,
        crop_size=crop_size,
    ),
    dict(
        type="SeqShiftScaleAug",
        target_size=[exemplar_size, search_size],
        shift=[2, 32],
        scale=[0.05, 0.18],
    ),
    dict(type="SeqColorAug", prob=[1.0, 1.0]),
    dict(type="SeqBlurAug", prob=[0.0, 0.2]),
    dict(type="PackTrackInputs", ref_prefix="search", num_template_frames=1),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadTrackAnnotations"),
    dict(type="PackTrackInputs"),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type="QuotaSampler", samples_per_epoch=1280),
    dataset=dict(
        type="ShapesSOTDataset",
        data_root=data_root,
        data_prefix=dict(img_path="train"),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type="TrackImgSampler"),
    dataset=dict(
        type="ShapesSOTDataset",
        data_root=data_root,
        data_prefix=dict(img_path="val"),
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type="SOTMetric")
test_evaluator = val_evaluator

max_epochs = 6
train_cfg = dict(type="EpochBasedTrainLoop", max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type="ValLoop")
test_cfg = dict(type="TestLoop")
optim_wrapper = dict(
    type="OptimWrapper",
    optimizer=dict(type="AdamW", lr=0.002, weight_decay=0.0001),
    clip_grad=dict(max_norm=10.0, norm_type=2),
)
param_scheduler = [
    dict(type="LinearLR", start_factor=0.05, by_epoch=False, begin=0, end=50),
    dict(type="CosineAnnealingLR", by_epoch=True, begin=0, end=max_epochs, eta_min=1e-5),
]
default_hooks = dict(
    logger=dict(type="LoggerHook", interval=20),
    checkpoint=dict(type="CheckpointHook", interval=max_epochs, max_keep_ckpts=1),
)
visualizer = dict(type="TrackLocalVisualizer", vis_backends=[dict(type="LocalVisBackend")])
randomness = dict(seed=0)
