# The VisionBox SegFormer demo: MiT-b0 and the all-MLP SegformerHead trained from scratch on
# VisionBox Shapes on a CPU (no ImageNet weights). Make the data first:
#   python -c "from visionbox.core.datasets.shapes import make_shapes; \
#              make_shapes('segmentation', 'data/shapes_seg')"
# then
#   python tools/segmentation/train.py <this config>
#   python tools/segmentation/test.py <this config> work_dirs/<name>/iter_<max_iters>.pth
_base_ = [
    "../_base_/models/segformer_mit-b0.py",
    "../_base_/datasets/shapes.py",
    "../_base_/default_runtime.py",
]
norm_cfg = dict(type="BN", requires_grad=True)
model = dict(
    data_preprocessor=dict(size_divisor=32),
    backbone=dict(drop_path_rate=0.0),
    decode_head=dict(channels=128, num_classes=6, norm_cfg=norm_cfg),
)
max_iters = 600
optim_wrapper = dict(
    type="OptimWrapper",
    optimizer=dict(type="AdamW", lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={"norm": dict(decay_mult=0.0)}),
)
param_scheduler = [
    dict(type="LinearLR", start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type="PolyLR", eta_min=1e-5, power=1.0, begin=50, end=max_iters, by_epoch=False),
]
train_cfg = dict(type="IterBasedTrainLoop", max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type="ValLoop")
test_cfg = dict(type="TestLoop")
default_hooks = dict(
    logger=dict(type="LoggerHook", interval=25, log_metric_by_epoch=False),
    checkpoint=dict(type="CheckpointHook", by_epoch=False, interval=max_iters),
)
