# SegFormer MiT-b0 on ADE20K, 512x512 crops, 160k iterations (8 GPUs x 2 images), as mmseg 1.2.
# mmseg starts from ImageNet MiT weights; VisionBox downloads nothing, so set the backbone's
# init_cfg to a local copy of them (mmseg's mit_b0_20220624-7e0fe6dd.pth loads as is):
#   model = dict(backbone=dict(init_cfg=dict(type="Pretrained", checkpoint="mit_b0.pth")))
_base_ = [
    "../_base_/models/segformer_mit-b0.py",
    "../_base_/datasets/ade20k.py",
    "../_base_/default_runtime.py",
    "../_base_/schedules/schedule_160k.py",
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(data_preprocessor=data_preprocessor, decode_head=dict(num_classes=150))
optim_wrapper = dict(
    _delete_=True,
    type="OptimWrapper",
    optimizer=dict(type="AdamW", lr=0.00006, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(
        custom_keys={
            "pos_block": dict(decay_mult=0.0),
            "norm": dict(decay_mult=0.0),
            "head": dict(lr_mult=10.0),
        }
    ),
)
param_scheduler = [
    dict(type="LinearLR", start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type="PolyLR", eta_min=0.0, power=1.0, begin=1500, end=160000, by_epoch=False),
]
default_hooks = dict(checkpoint=dict(interval=16000))
train_dataloader = dict(batch_size=2, num_workers=2)
val_dataloader = dict(batch_size=1, num_workers=4)
test_dataloader = val_dataloader
