# SiamRPN++ (ResNet-50) trained on ImageNet VID, ImageNet DET and COCO pairs and tested on LaSOT,
# with mmtracking's settings (configs/sot/siamese_rpn/siamese-rpn_r50_8xb28-20e_..._test-lasot.py)
# at 8 x 16 pairs per batch. Data layout (mmtracking's):
#   data/ILSVRC/annotations/imagenet_vid_train.json, data/ILSVRC/Data/VID/
#   data/ILSVRC/annotations/imagenet_det_30plus1cls.json, data/ILSVRC/Data/DET/
#   data/coco/annotations/instances_train2017.json, data/coco/train2017/
#   data/LaSOT_full/LaSOTBenchmark/<class>/<class>-<k>/ and
#   data/LaSOT_full/annotations/lasot_test_infos.txt
# The backbone starts from mmtracking's SOT ResNet-50 (init_cfg below) with mmtracking's
# schedule: SiamRPNExpLR (5 warm-up epochs from 0.2 x lr, then a decay by 0.1) and
# SiamRPNBackboneUnfreezeHook, which trains layer2-4 (and their BatchNorm statistics) from
# epoch 10 on. The hook re-applies itself after mmengine's model.train(), so the layers really
# train, as in mmtracking 0.x and the paper (in mmtracking 1.x, model.train() re-froze them).
_base_ = ["../_base_/default_runtime.py"]

randomness = dict(seed=1, deterministic=True)
find_unused_parameters = True
crop_size = 511
exemplar_size = 127
search_size = 255

model = dict(
    type="SiamRPN",
    data_preprocessor=dict(type="TrackDataPreprocessor"),
    backbone=dict(
        type="SOTResNet",
        depth=50,
        out_indices=(1, 2, 3),
        frozen_stages=4,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        norm_eval=True,
        init_cfg=dict(
            type="Pretrained",
            checkpoint="https://download.openmmlab.com/mmtracking/pretrained_weights/sot_resnet50.model",
        ),
    ),
    neck=dict(
        type="ChannelMapper",
        in_channels=[512, 1024, 2048],
        out_channels=256,
        kernel_size=1,
        norm_cfg=dict(type="BN"),
        act_cfg=None,
    ),
    head=dict(
        type="SiameseRPNHead",
        anchor_generator=dict(
            type="SiameseRPNAnchorGenerator", strides=[8], ratios=[0.33, 0.5, 1, 2, 3], scales=[8]
        ),
        in_channels=[256, 256, 256],
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
                iou_calculator=dict(type="detection.BboxOverlaps2D"),
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

data_root = "data/"
train_pipeline = [
    dict(type="PairSampling", frame_range=100, pos_prob=0.8, filter_template_img=False),
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
        shift=[4, 64],
        scale=[0.05, 0.18],
    ),
    dict(type="SeqColorAug", prob=[1.0, 1.0]),
    dict(type="SeqBlurAug", prob=[0.0, 0.2]),
    dict(type="PackTrackInputs", ref_prefix="search", num_template_frames=1),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadTrackAnnotations", with_instance_id=False),
    dict(
        type="PackTrackInputs",
        meta_keys=(
            "img_path",
            "ori_shape",
            "img_shape",
            "frame_id",
            "video_id",
            "video_name",
            "video_length",
            "visible",
        ),
    ),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type="QuotaSampler", samples_per_epoch=600000),
    dataset=dict(
        type="RandomSampleConcatDataset",
        dataset_sampling_weights=[0.25, 0.2, 0.55],
        datasets=[
            dict(
                type="SOTImageNetVIDDataset",
                data_root=data_root,
                ann_file="ILSVRC/annotations/imagenet_vid_train.json",
                data_prefix=dict(img_path="ILSVRC/Data/VID"),
                pipeline=train_pipeline,
                test_mode=False,
            ),
            dict(
                type="SOTCocoDataset",
                data_root=data_root,
                ann_file="coco/annotations/instances_train2017.json",
                data_prefix=dict(img_path="coco/train2017"),
                pipeline=train_pipeline,
                test_mode=False,
            ),
            dict(
                type="SOTCocoDataset",
                data_root=data_root,
                ann_file="ILSVRC/annotations/imagenet_det_30plus1cls.json",
                data_prefix=dict(img_path="ILSVRC/Data/DET"),
                pipeline=train_pipeline,
                test_mode=False,
            ),
        ],
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type="TrackImgSampler"),
    dataset=dict(
        type="LaSOTDataset",
        data_root=data_root,
        ann_file="LaSOT_full/annotations/lasot_test_infos.txt",
        data_prefix=dict(img_path="LaSOT_full/LaSOTBenchmark"),
        pipeline=test_pipeline,
        test_mode=True,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type="SOTMetric", metric="OPE", metric_options=dict(only_eval_visible=True))
test_evaluator = val_evaluator

train_cfg = dict(type="EpochBasedTrainLoop", max_epochs=20, val_begin=10, val_interval=1)
val_cfg = dict(type="ValLoop")
test_cfg = dict(type="TestLoop")

# 5 exponential warm-up epochs from 0.2 x lr (ending one step short of lr, endpoint=False), then
# an exponential decay by 0.1 over epochs 5-19 (mmtracking 1.x's schedule)
param_scheduler = [
    dict(
        type="SiamRPNExpLR",
        start_factor=0.2,
        end_factor=1.0,
        by_epoch=True,
        begin=0,
        end=5,
        endpoint=False,
    ),
    dict(
        type="SiamRPNExpLR",
        start_factor=1.0,
        end_factor=0.1,
        by_epoch=True,
        begin=5,
        end=20,
        endpoint=True,
    ),
]
custom_hooks = [
    dict(
        type="SiamRPNBackboneUnfreezeHook",
        backbone_start_train_epoch=10,
        backbone_train_layers=["layer2", "layer3", "layer4"],
    )
]
optim_wrapper = dict(
    type="OptimWrapper",
    optimizer=dict(type="SGD", lr=0.005, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=10.0, norm_type=2),
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=0.1, decay_mult=1.0))),
)
