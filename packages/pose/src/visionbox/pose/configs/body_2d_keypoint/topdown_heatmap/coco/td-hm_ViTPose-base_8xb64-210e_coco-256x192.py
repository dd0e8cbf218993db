# ViTPose-B (Xu et al. 2022): ViT-Base (12 blocks of width 768) and the deconvolution HeatmapHead,
# with UDP; mmpose 1.3's config of the same name. The MAE ImageNet weights
# (mae_pretrain_vit_base_20230913.pth) load from a local file through the backbone's init_cfg.
_base_ = ["./td-hm_ViTPose-small_8xb64-210e_coco-256x192.py"]

optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.75))
model = dict(
    backbone=dict(arch="base", drop_path_rate=0.3),  # a name replaces the small's arch dict
    head=dict(in_channels=768),
)
