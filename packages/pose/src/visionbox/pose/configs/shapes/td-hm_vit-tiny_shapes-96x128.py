# The VisionBox ViTPose demo: a tiny plain ViT (4 blocks of width 128, 16x16 patches) and the
# two-deconv HeatmapHead with UDP, as ViTPose, trained from scratch on VisionBox Shapes pose on a CPU. Data,
# schedule and metrics are those of the SimpleBaseline demo. Make the data first:
#   python -c "from visionbox.core.datasets.shapes import make_shapes; \
#              make_shapes('pose', 'data/shapes_pose')"
# then
#   python tools/pose/train.py <this config>
#   python tools/pose/test.py <this config> work_dirs/<name>/iter_<max_iters>.pth
_base_ = ["./td-hm_res18-slim_shapes-96x128.py"]

optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type="AdamW", lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(num_layers=4, layer_decay_rate=0.9),
    constructor="LayerDecayOptimWrapperConstructor",
    clip_grad=dict(max_norm=1.0, norm_type=2),
)
codec = dict(type="UDPHeatmap", input_size=(96, 128), heatmap_size=(24, 32), sigma=1.5)
model = dict(
    backbone=dict(
        _delete_=True,
        type="VisionTransformer",
        arch=dict(embed_dims=128, num_layers=4, num_heads=4, feedforward_channels=512),
        img_size=(128, 96),
        patch_size=16,
        qkv_bias=True,
        drop_path_rate=0.0,
        with_cls_token=False,
        out_type="featmap",
    ),
    head=dict(
        in_channels=128,
        deconv_out_channels=(64, 64),
        deconv_kernel_sizes=(4, 4),
        decoder=dict(_delete_=True, **codec),
    ),
    test_cfg=dict(shift_heatmap=False),
)
train_pipeline = [
    dict(type="LoadImage"),
    dict(type="GetBBoxCenterScale"),
    dict(type="RandomFlip", direction="horizontal"),
    dict(type="RandomBBoxTransform", scale_factor=(0.8, 1.2), rotate_factor=30.0),
    dict(type="TopdownAffine", input_size=codec["input_size"], use_udp=True),
    dict(type="GenerateTarget", encoder=codec),
    dict(type="PackPoseInputs"),
]
val_pipeline = [
    dict(type="LoadImage"),
    dict(type="GetBBoxCenterScale"),
    dict(type="TopdownAffine", input_size=codec["input_size"], use_udp=True),
    dict(type="PackPoseInputs"),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
