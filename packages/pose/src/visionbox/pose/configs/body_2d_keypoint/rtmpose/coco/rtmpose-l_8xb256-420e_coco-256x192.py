# RTMPose-l: mmpose 1.x's config of the same name, built by VisionBox (same types, arguments
# and state_dict keys). The recipe is the shared RTMPose base; this file sets the size.
_base_ = ["../../../_base_/rtmpose_8xb256-420e_coco-256x192.py"]

optim_wrapper = dict(optimizer=dict(weight_decay=0.05))
model = dict(
    backbone=dict(
        deepen_factor=1.0,
        widen_factor=1.0,
        init_cfg=dict(
            checkpoint="https://download.openmmlab.com/mmpose/v1/projects/"
            "rtmposev1/cspnext-l_udp-aic-coco_210e-256x192-273b7631_20230130.pth"
        ),
    ),
    head=dict(in_channels=1024),
)
