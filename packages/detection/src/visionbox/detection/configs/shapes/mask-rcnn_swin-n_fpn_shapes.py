# Mask R-CNN with a narrow Swin (16 channels, 2 blocks per stage, window 8) on VisionBox Shapes,
# trained from scratch on 256x256 images; the Mask R-CNN ResNet-18 Shapes demo with the backbone
# swapped and Swin's AdamW rule (no weight decay for the position tables and the norms).
#
#   CFG=packages/detection/src/visionbox/detection/configs/shapes/mask-rcnn_swin-n_fpn_shapes.py
#   python tools/make_shapes.py --task detection --out data/shapes_det
#   python tools/detection/train.py $CFG
#   python tools/detection/test.py $CFG work_dirs/mask-rcnn_swin-n_fpn_shapes/epoch_8.pth
_base_ = "./mask-rcnn_r18_fpn_shapes.py"

model = dict(
    backbone=dict(
        _delete_=True,
        type="SwinTransformer",
        embed_dims=16,
        depths=[2, 2, 2, 2],
        num_heads=[1, 2, 4, 8],
        window_size=8,
        mlp_ratio=4,
        drop_path_rate=0.1,
        patch_norm=True,
        out_indices=(0, 1, 2, 3),
    ),
    neck=dict(in_channels=[16, 32, 64, 128]),
)
max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type="LinearLR", start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type="CosineAnnealingLR", by_epoch=True, begin=0, end=max_epochs, eta_min=1e-5),
]
optim_wrapper = dict(
    type="OptimWrapper",
    optimizer=dict(type="AdamW", lr=0.001, weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            "absolute_pos_embed": dict(decay_mult=0.0),
            "relative_position_bias_table": dict(decay_mult=0.0),
            "norm": dict(decay_mult=0.0),
        }
    ),
    clip_grad=dict(max_norm=10.0),
)
default_hooks = dict(checkpoint=dict(interval=max_epochs))
