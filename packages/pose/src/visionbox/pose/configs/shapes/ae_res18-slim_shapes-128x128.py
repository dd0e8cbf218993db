# The VisionBox bottom-up demo: Associative Embedding (heatmaps + tags) on the first three stages of
# a slim ResNet-18 with a deconvolution trunk (stride-2 maps), trained from scratch on VisionBox
# Shapes pose on a CPU at half resolution (128x128; predictions are scored on the 256x256 images). Make the data first:
#   python -c "from visionbox.core.datasets.shapes import make_shapes; \
#              make_shapes('pose', 'data/shapes_pose')"
# then
#   python tools/pose/train.py <this config>
#   python tools/pose/test.py <this config> work_dirs/<name>/iter_<max_iters>.pth
_base_ = ["../_base_/default_runtime.py"]

max_iters = 800
train_cfg = dict(
    _delete_=True, type="IterBasedTrainLoop", max_iters=max_iters, val_interval=max_iters
)
val_cfg = dict(type="ValLoop")
test_cfg = dict(type="TestLoop")
optim_wrapper = dict(optimizer=dict(type="Adam", lr=2e-3))
param_scheduler = [
    dict(type="LinearLR", begin=0, end=100, start_factor=0.01, by_epoch=False),
    dict(type="CosineAnnealingLR", begin=100, end=max_iters, eta_min=1e-5, by_epoch=False),
]
default_hooks = dict(
    logger=dict(type="LoggerHook", interval=50, log_metric_by_epoch=False),
    checkpoint=dict(type="CheckpointHook", by_epoch=False, interval=max_iters),
)
log_processor = dict(by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend="gloo"))
randomness = dict(seed=0)

codec = dict(
    type="AssociativeEmbedding",
    input_size=(128, 128),
    heatmap_size=(64, 64),
    sigma=1.5,
    decode_topk=10,
    decode_keypoint_order=[6, 1, 0, 2, 3, 7, 8, 4, 5, 9, 10],
    decode_max_instances=10,
)
model = dict(
    type="BottomupPoseEstimator",
    data_preprocessor=dict(
        type="PoseDataPreprocessor",
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
    ),
    backbone=dict(type="ResNet", depth=18, base_channels=16, stem_channels=16, out_indices=(2,)),
    head=dict(
        type="AssociativeEmbeddingHead",
        in_channels=64,
        num_keypoints=11,
        tag_dim=1,
        tag_per_keypoint=False,  # one tag map shared by the keypoints: separates within minutes
        deconv_out_channels=(64, 64, 64),
        deconv_kernel_sizes=(4, 4, 4),
        keypoint_loss=dict(type="KeypointMSELoss", use_target_weight=True),
        # 'max' push: the exp push has no gradient while the tags are equal, so from the
        # initial (near-zero) tags the pull term collapsed them to one value. The tag loss is
        # summed over the batch; a light weight leaves the shared trunk to the heatmaps.
        tag_loss=dict(type="AssociativeEmbeddingLoss", loss_weight=1e-4, loss_type="max"),
        decoder=dict(codec, heatmap_size=codec["input_size"]),
    ),
    test_cfg=dict(
        multiscale_test=False,
        flip_test=True,
        shift_heatmap=False,
        restore_heatmap_size=True,
        align_corners=False,
    ),
)

dataset_type = "CocoDataset"
data_mode = "bottomup"
data_root = "data/shapes_pose/"
metainfo = dict(from_file=data_root + "dataset_info.py")
train_pipeline = [
    dict(type="LoadImage"),
    dict(
        type="BottomupRandomAffine",
        input_size=codec["input_size"],
        shift_factor=0.05,
        scale_factor=(0.9, 1.1),
        rotate_factor=15.0,
    ),
    dict(type="RandomFlip", direction="horizontal"),
    dict(type="GenerateTarget", encoder=codec),
    dict(type="PackPoseInputs"),
]
val_pipeline = [
    dict(type="LoadImage"),
    dict(type="BottomupResize", input_size=codec["input_size"], size_factor=32),
    dict(
        type="PackPoseInputs",
        meta_keys=(
            "id",
            "img_id",
            "img_path",
            "ori_shape",
            "img_shape",
            "input_size",
            "input_center",
            "input_scale",
            "flip_indices",
            "raw_ann_info",
        ),
    ),  # fmt: skip
]
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type="InfiniteSampler", shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        metainfo=metainfo,
        ann_file="annotations/keypoints_train.json",
        data_prefix=dict(img="train/"),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    drop_last=False,
    sampler=dict(type="DefaultSampler", shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        metainfo=metainfo,
        ann_file="annotations/keypoints_val.json",
        data_prefix=dict(img="val/"),
        test_mode=True,
        pipeline=val_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(
    type="CocoMetric",
    ann_file=data_root + "annotations/keypoints_val.json",
    score_mode="bbox",
    nms_mode="none",
)
test_evaluator = val_evaluator
