# SegFormer MiT-b3 on ADE20K, 512x512 crops, 160k iterations (8 GPUs x 2 images), as mmseg 1.2.
# ImageNet MiT-b3 weights (mmseg's mit_b3_20220624-13b1141c.pth) load from a local file through
#   model = dict(backbone=dict(init_cfg=dict(type="Pretrained", checkpoint="mit_b3.pth")))
_base_ = ["./segformer_mit-b0_8xb2-160k_ade20k-512x512.py"]
model = dict(
    backbone=dict(embed_dims=64, num_heads=[1, 2, 5, 8], num_layers=[3, 4, 18, 3]),
    decode_head=dict(in_channels=[64, 128, 320, 512]),
)
