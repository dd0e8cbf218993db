"""Bottom-up (Associative Embedding) and pose-lifting pieces: codec grouping, heads and losses
with gradients to every parameter, the estimators' loss/predict, the 3D dataset and transforms."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData

from visionbox.core.datasets.shapes import make_shapes
from visionbox.core.testing import assert_all_params_have_grad
from visionbox.pose.registry import DATASETS, KEYPOINT_CODECS, MODELS, TRANSFORMS
from visionbox.pose.structures import PoseDataSample

K = 6


def _ae_sample(codec, kpts, input_size=(32, 32)):
    enc = codec.encode(kpts, np.ones(kpts.shape[:2]))
    sample = PoseDataSample(
        metainfo=dict(
            input_size=input_size,
            input_center=np.array(input_size, np.float32) / 2,
            input_scale=np.array(input_size, np.float32),
            flip_indices=list(range(K)),
        )
    )
    sample.gt_fields = PixelData(heatmaps=torch.from_numpy(enc["heatmaps"]))
    sample.gt_instance_labels = InstanceData(
        keypoint_indices=torch.from_numpy(enc["keypoint_indices"]),
        keypoint_weights=torch.from_numpy(enc["keypoint_weights"]),
    )
    return sample


def test_associative_embedding_groups_people_by_their_tags():
    codec = KEYPOINT_CODECS.build(
        dict(type="AssociativeEmbedding", input_size=(64, 64), heatmap_size=(64, 64), sigma=1.5)
    )
    rng = np.random.default_rng(0)
    kpts = rng.uniform(5, 58, (3, K, 2)).astype(np.float32)
    enc = codec.encode(kpts, np.ones((3, K)))
    assert enc["keypoint_indices"].shape == (3, K, 2)
    rounded = np.floor(kpts + 0.5).astype(int)
    assert (enc["keypoint_indices"][..., 0] == rounded[..., 1] * 64 + rounded[..., 0]).all()
    tags = np.zeros((K, 64, 64, 1), np.float32)
    for n in range(3):
        for j in range(K):
            x, y = rounded[n, j]
            tags[j, max(0, y - 3) : y + 4, max(0, x - 3) : x + 4, 0] = n * 3.0
    decoded, scores = codec.decode(enc["heatmaps"], tags)
    assert decoded.shape == (3, K, 2) and scores.shape == (3, K)
    order = [int(np.argmin(np.abs(decoded[:, 0] - kpts[n, 0]).sum(-1))) for n in range(3)]
    assert sorted(order) == [0, 1, 2]
    assert np.abs(decoded[order] - kpts).max() <= 0.5 + 0.25 + 1e-5


def test_ae_loss_pull_is_zero_for_constant_tags_and_push_drops_with_distance():
    loss = MODELS.build(dict(type="AssociativeEmbeddingLoss"))
    indices = torch.tensor([[[0, 1], [5, 1]], [[10, 1], [15, 1]]])  # 2 people, 2 keypoints
    tags = torch.zeros(1, 2, 4, 4)
    pull, push_same = loss(tags, [indices])
    assert pull == 0 and push_same > 0
    tags.view(1, 2, 16)[0, :, 10] = 5.0
    tags.view(1, 2, 16)[0, :, 15] = 5.0
    pull, push_far = loss(tags, [indices])
    assert pull == 0 and push_far < push_same


def test_ae_head_and_bottomup_estimator_train_and_predict():
    torch.manual_seed(0)
    codec = dict(type="AssociativeEmbedding", input_size=(32, 32), heatmap_size=(8, 8), sigma=1.0)
    model = MODELS.build(
        dict(
            type="BottomupPoseEstimator",
            backbone=dict(
                type="ResNet", depth=18, base_channels=8, stem_channels=8, out_indices=(0,)
            ),
            head=dict(
                type="AssociativeEmbeddingHead",
                in_channels=8,
                num_keypoints=K,
                deconv_out_channels=None,
                keypoint_loss=dict(type="KeypointMSELoss", use_target_weight=True),
                tag_loss=dict(type="AssociativeEmbeddingLoss", loss_weight=0.001),
                decoder=dict(codec, heatmap_size=(32, 32)),
            ),
            test_cfg=dict(flip_test=True, restore_heatmap_size=True),
        )
    )
    model.init_weights()
    rng = np.random.default_rng(1)
    c = KEYPOINT_CODECS.build(codec)
    samples = [_ae_sample(c, rng.uniform(2, 29, (2, K, 2)).astype(np.float32)) for _ in range(2)]
    losses = model(torch.rand(2, 3, 32, 32), samples, mode="loss")
    assert set(losses) == {"loss_kpt", "loss_pull", "loss_push"}
    sum(losses.values()).backward()
    assert_all_params_have_grad(model.head)
    model.eval()
    with torch.no_grad():
        out = model(torch.rand(2, 3, 32, 32), samples, mode="predict")
    pred = out[0].pred_instances
    assert pred.keypoints.ndim == 3 and pred.bboxes.shape == (len(pred.keypoints), 4)


def test_bottomup_resize_maps_back_to_the_image():
    resize = TRANSFORMS.build(dict(type="BottomupResize", input_size=(64, 64), size_factor=32))
    img = np.zeros((100, 200, 3), np.uint8)
    out = resize(dict(img=img))
    w, h = out["input_size"]
    assert (w, h) == (64, 32) and out["img"].shape == (32, 64, 3)  # fits, multiple of 32
    from visionbox.pose.models.pose_estimators.topdown import to_image_space

    corner = to_image_space(np.array([[[0.0, 0.0], [64.0, 32.0]]]), out)
    np.testing.assert_allclose(corner[0], [[0, 0], [200, 100]], atol=1e-3)


def _lifting_sample(codec, rng, t=9):
    target = rng.normal(size=(K, 3)).astype(np.float32)
    kpts = rng.uniform(0, 100, (t, K, 2)).astype(np.float32)
    enc = codec.encode(
        kpts, np.ones((t, K)), lifting_target=target, camera_param=dict(w=100, h=100)
    )
    sample = PoseDataSample(metainfo=dict(target_root=enc["target_root"]))
    sample.gt_instance_labels = InstanceData(
        lifting_target_label=torch.from_numpy(enc["lifting_target_label"]),
        lifting_target_weight=torch.from_numpy(enc["lifting_target_weight"]),
        target_root=torch.from_numpy(enc["target_root"]),
        trajectory_weights=torch.from_numpy(
            np.atleast_1d(enc["trajectory_weights"]).astype(np.float32)
        ),
    )
    sample.gt_instances = InstanceData(lifting_target=torch.from_numpy(target[None]))
    return torch.from_numpy(enc["keypoint_labels"]), sample, target


def test_pose_lifter_with_trajectory_trains_and_predicts_absolute_poses():
    torch.manual_seed(0)
    codec_cfg = dict(type="VideoPoseLifting", num_keypoints=K, root_index=0)
    model = MODELS.build(
        dict(
            type="PoseLifter",
            backbone=dict(
                type="TCN",
                in_channels=2 * K,
                stem_channels=16,
                num_blocks=1,
                kernel_sizes=(3, 3),
                use_stride_conv=True,
            ),
            head=dict(
                type="TemporalRegressionHead",
                in_channels=16,
                num_joints=K,
                loss=dict(type="MPJPELoss"),
                decoder=codec_cfg,
            ),
            traj_head=dict(
                type="TrajectoryRegressionHead", in_channels=16, num_joints=1, decoder=codec_cfg
            ),
        )
    )
    codec = KEYPOINT_CODECS.build(codec_cfg)
    rng = np.random.default_rng(2)
    items = [_lifting_sample(codec, rng) for _ in range(3)]
    inputs = [i[0] for i in items]
    samples = [i[1] for i in items]
    losses = model(inputs, samples, mode="loss")
    assert {"loss_pose3d", "loss_traj"} <= set(losses)
    (losses["loss_pose3d"] + losses["loss_traj"]).backward()
    assert_all_params_have_grad(model)
    model.eval()
    with torch.no_grad():
        out = model(inputs, samples, mode="predict")
    pred = out[0].pred_instances
    assert pred.keypoints.shape == (1, K, 3) and pred.trajectory.shape == (1, 1, 3)
    # The root keypoint of the prediction is the target's root (the decoder adds it back).
    raw = model.head.forward(model.extract_feat(torch.stack(inputs)))[0, 0].detach().numpy()
    np.testing.assert_allclose(pred.keypoints[0, 0], items[0][2][0] + raw, atol=1e-5)


def test_human36m_dataset_reads_shapes_pose3d_windows(tmp_path):
    init_default_scope("pose")
    root = tmp_path / "p3d"
    make_shapes("pose3d", str(root), seed=0, num_train=2, num_val=1)
    codec = dict(type="VideoPoseLifting", num_keypoints=11, root_index=6)
    ds = DATASETS.build(
        dict(
            type="Human36mDataset",
            ann_file="annotations/train.json",
            data_root=str(root),
            seq_len=9,
            causal=False,
            pad_video_seq=True,
            metainfo=dict(from_file=str(root / "dataset_info.py")),
            pipeline=[
                dict(
                    type="RandomFlipAroundRoot",
                    keypoints_flip_cfg={},
                    target_flip_cfg=dict(center_index=6),
                    flip_prob=1.0,
                ),
                dict(type="GenerateTarget", encoder=codec),
                dict(type="PackPoseInputs", meta_keys=("id", "target_root", "flip_indices")),
            ],
        )
    )
    assert len(ds) == 100  # 2 sequences x 50 frames, padded windows
    item = ds[0]
    assert item["inputs"].shape == (22, 9)
    sample = item["data_samples"]
    assert sample.gt_instance_labels.lifting_target_label.shape == (1, 11, 3)
    assert np.allclose(sample.gt_instance_labels.lifting_target_label[0, 6].numpy(), 0)
    batch = pseudo_collate([ds[i] for i in range(2)])
    assert len(batch["inputs"]) == 2


def test_human36m_dataset_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.json"):
        DATASETS.build(dict(type="Human36mDataset", ann_file=str(tmp_path / "nothing.json")))


def test_inference_bottomup_on_a_shapes_image(tmp_path):
    import os.path as osp

    from visionbox.core.engine import load_config
    from visionbox.pose.apis import inference_bottomup, init_model

    root = tmp_path / "shapes"
    make_shapes("pose", str(root), seed=0, num_train=0, num_val=1)
    config = osp.join(
        osp.dirname(__file__), "..", "..",
        "packages/pose/src/visionbox/pose/configs/shapes/ae_res18-slim_shapes-128x128.py",
    )  # fmt: skip
    cfg = load_config(config)
    cfg.test_dataloader.dataset.metainfo = dict(from_file=str(root / "dataset_info.py"))
    model = init_model(cfg)
    assert model.dataset_meta["num_keypoints"] == 11
    image = str(root / "val" / "000001.jpg")
    (sample,) = inference_bottomup(model, image)
    pred = sample.pred_instances
    assert pred.keypoints.ndim == 3 and pred.keypoints.shape[1:] == (11, 2)
    assert sample.metainfo["input_size"] == (128, 128)


def test_human36m_dataset_reads_mmpose_npz_sequences(tmp_path):
    rng = np.random.default_rng(4)
    names = [f"S1_Walking.5413_{i:06d}.jpg" for i in range(1, 6)] + [
        f"S5_Sitting.6011_{i:06d}.jpg" for i in range(1, 4)
    ]
    part = np.concatenate([rng.uniform(0, 900, (8, 17, 2)), np.ones((8, 17, 1))], -1)
    s3d = np.concatenate([rng.normal(size=(8, 17, 3)), np.ones((8, 17, 1))], -1)
    path = tmp_path / "h36m_test.npz"
    np.savez(path, imgname=np.array(names), part=part, S=s3d)
    ds = DATASETS.build(dict(type="Human36mDataset", ann_file=str(path), seq_len=3, causal=False))
    # Unpadded centred windows of 3 frames: 3 targets in the 5-frame and 1 in the 3-frame sequence.
    assert len(ds) == 4
    info = ds[0]
    assert info["keypoints"].shape == (3, 17, 2)
    np.testing.assert_allclose(info["lifting_target"], s3d[1, :, :3])


def test_ae_head_with_one_shared_tag_map():
    codec = dict(type="AssociativeEmbedding", input_size=(32, 32), heatmap_size=(8, 8), sigma=1.0)
    head = MODELS.build(
        dict(
            type="AssociativeEmbeddingHead",
            in_channels=4,
            num_keypoints=K,
            tag_per_keypoint=False,
            deconv_out_channels=None,
            decoder=dict(codec, heatmap_size=(32, 32)),
        )
    )
    assert head.final_layer.out_channels == K + 1
    c = KEYPOINT_CODECS.build(codec)
    rng = np.random.default_rng(6)
    samples = [_ae_sample(c, rng.uniform(2, 29, (2, K, 2)).astype(np.float32)) for _ in range(2)]
    feats = (torch.randn(2, 4, 8, 8),)
    losses = head.loss(feats, samples)
    sum(losses.values()).backward()
    assert_all_params_have_grad(head)
    with torch.no_grad():
        preds = head.predict(
            [feats, feats], samples, test_cfg=dict(flip_test=True, restore_heatmap_size=True)
        )
    assert preds[0].keypoints.shape[1:] == (K, 2)
