# SORT on VisionBox Shapes MOT: the ByteTrack demo's detector with the SORT tracker.
_base_ = ["./bytetrack_faster-rcnn_r18_fpn_shapes.py"]

model = dict(
    type="DeepSORT",
    tracker=dict(
        _delete_=True,
        type="SORTTracker",
        motion=dict(type="KalmanFilter", center_only=False),
        obj_score_thr=0.5,
        match_iou_thr=0.3,
        reid=None,
        num_tentatives=2,
        num_frames_retain=30,
    ),
)
train_dataloader = None
train_cfg = None
optim_wrapper = None
param_scheduler = None
