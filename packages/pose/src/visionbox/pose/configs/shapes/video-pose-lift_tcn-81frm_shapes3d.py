# The VisionBox lifting demo: VideoPose3D's TCN (81-frame receptive field, strided convs) lifting
# VisionBox Shapes pose3d walkers from 2D to 3D on a CPU (200 training walks: with the default
# 40 the model overfits). Make the data first:
#   python -c "from visionbox.core.datasets.shapes import make_shapes; \
#              make_shapes('pose3d', 'data/shapes_pose3d', num_train=200)"
# then
#   python tools/pose/train.py <this config>
#   python tools/pose/test.py <this config> work_dirs/<name>/iter_<max_iters>.pth
_base_ = ["../_base_/default_runtime.py"]

max_iters = 4000
train_cfg = dict(
    _delete_=True, type="IterBasedTrainLoop", max_iters=max_iters, val_interval=max_iters
)
val_cfg = dict(type="ValLoop")
test_cfg = dict(type="TestLoop")
optim_wrapper = dict(optimizer=dict(type="Adam", lr=1e-3))
param_scheduler = [
    dict(type="LinearLR", begin=0, end=50, start_factor=0.1, by_epoch=False),
    dict(type="CosineAnnealingLR", begin=50, end=max_iters, eta_min=1e-5, by_epoch=False),
]
default_hooks = dict(
    logger=dict(type="LoggerHook", interval=100, log_metric_by_epoch=False),
    checkpoint=dict(type="CheckpointHook", by_epoch=False, interval=max_iters),
)
log_processor = dict(by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend="gloo"))
randomness = dict(seed=0)

codec = dict(
    type="VideoPoseLifting",
    num_keypoints=11,
    zero_center=True,
    root_index=6,
    remove_root=False,
    normalize_camera=True,  # (x - c) / f: the 2D input does not depend on the focal length
)
model = dict(
    type="PoseLifter",
    backbone=dict(
        type="TCN",
        in_channels=2 * 11,
        stem_channels=256,
        num_blocks=3,
        kernel_sizes=(3, 3, 3, 3),
        dropout=0.1,
        use_stride_conv=True,
    ),
    head=dict(
        type="TemporalRegressionHead",
        in_channels=256,
        num_joints=11,
        loss=dict(type="MPJPELoss"),
        decoder=codec,
    ),
)

dataset_type = "Human36mDataset"
data_root = "data/shapes_pose3d/"
metainfo = dict(from_file=data_root + "dataset_info.py")
meta_keys = ("id", "category_id", "target_img_path", "flip_indices", "target_root")
train_pipeline = [
    dict(
        type="RandomFlipAroundRoot",
        keypoints_flip_cfg=dict(),
        target_flip_cfg=dict(center_index=6),
    ),
    dict(type="GenerateTarget", encoder=codec),
    dict(type="PackPoseInputs", meta_keys=meta_keys),
]
val_pipeline = [
    dict(type="GenerateTarget", encoder=codec),
    dict(type="PackPoseInputs", meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type="InfiniteSampler", shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file="annotations/train.json",
        seq_len=81,
        causal=False,
        pad_video_seq=True,
        data_root=data_root,
        metainfo=metainfo,
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    drop_last=False,
    sampler=dict(type="DefaultSampler", shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        ann_file="annotations/val.json",
        seq_len=81,
        causal=False,
        pad_video_seq=True,
        data_root=data_root,
        metainfo=metainfo,
        pipeline=val_pipeline,
        test_mode=True,
    ),
)
test_dataloader = val_dataloader
val_evaluator = [
    dict(type="MPJPE", mode="mpjpe"),
    dict(type="MPJPE", mode="p-mpjpe"),
    dict(type="MPJPE", mode="n-mpjpe"),
]
test_evaluator = val_evaluator
