"""Associative Embedding details that decide whether grouping works: the push penalty's gradient
at equal tags, the loss against a plain per-person computation, the (L, K) channel layout of
the tag maps (loss, flip, decoding), shared tag maps, and the instance scores of the decoder."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from visionbox.pose.registry import KEYPOINT_CODECS, MODELS


def _reference_ae_loss(tags, indices, push_factor, loss_type):
    """mmpose's per-person loops, on (B, L * K, H, W) tags laid out as channel l * K + k."""
    pull_total = push_total = 0.0
    for image_tags, image_indices in zip(tags, indices):
        c, h, w = image_tags.shape
        k = image_indices.shape[1]
        flat = image_tags.reshape(c // k, k, h * w)
        people = []
        for person in image_indices:
            picked = [flat[:, j, int(person[j, 0])] for j in range(k) if person[j, 1] > 0]
            if picked:
                people.append(torch.stack(picked))  # (valid, L)
        if not people:
            continue
        means = [p.mean(dim=0) for p in people]
        pull_total += sum(((p - m) ** 2).mean() for p, m in zip(people, means)) / len(people)
        n = len(people)
        if n > 1:
            push = 0.0
            for a in range(n):
                for b in range(n):
                    if a != b:
                        d = means[a] - means[b]
                        if loss_type == "exp":
                            push += torch.exp(-(d**2)).sum()
                        else:
                            push += (1 - d.abs()).clamp(min=0).sum()
            push_total += push / (n * (n - 1))
    return pull_total, push_total * push_factor


@pytest.mark.parametrize("loss_type", ["exp", "max"])
def test_ae_loss_equals_the_per_person_computation_with_l_k_layout(loss_type):
    torch.manual_seed(0)
    k, dims, h, w = 3, 2, 5, 6
    tags = torch.randn(2, dims * k, h, w)
    gen = torch.Generator().manual_seed(1)
    indices = [
        torch.stack([torch.randint(0, h * w, (3, k), generator=gen), torch.ones(3, k).long()], -1),
        torch.stack([torch.randint(0, h * w, (2, k), generator=gen), torch.ones(2, k).long()], -1),
    ]
    indices[0][1, 2, 1] = 0  # an invisible keypoint
    loss = MODELS.build(dict(type="AssociativeEmbeddingLoss", loss_weight=0.5, loss_type=loss_type))
    pull, push = loss(tags, indices)
    ref_pull, ref_push = _reference_ae_loss(tags, indices, 0.5, loss_type)
    # summed over the batch (mmpose's convention), times loss_weight
    torch.testing.assert_close(pull, 0.5 * ref_pull)
    torch.testing.assert_close(push, 0.5 * ref_push)


def test_max_push_moves_equal_tags_apart_where_exp_push_does_not():
    indices = [torch.tensor([[[0, 1], [1, 1]], [[2, 1], [3, 1]]])]  # two people, two keypoints
    grads = {}
    for loss_type in ("exp", "max"):
        tags = torch.zeros(1, 2, 2, 2)
        tags.view(-1)[:] = torch.tensor([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1e-3, 1e-3])
        tags.requires_grad_(True)
        loss = MODELS.build(dict(type="AssociativeEmbeddingLoss", loss_type=loss_type))
        _, push = loss(tags, indices)
        (grad,) = torch.autograd.grad(push, tags)
        grads[loss_type] = grad.abs().max().item()
    assert grads["exp"] < 1e-3  # exp(-d^2) is flat at d = 0: nearly equal tags stay together
    assert grads["max"] > 0.1  # max(0, 1 - |d|) keeps pushing


def test_ae_loss_rejects_a_channel_count_that_is_not_l_times_k():
    loss = MODELS.build(dict(type="AssociativeEmbeddingLoss"))
    with pytest.raises(ValueError, match="multiple of the 3 keypoints"):
        loss(torch.zeros(1, 4, 2, 2), [torch.zeros(1, 3, 2).long()])
    with pytest.raises(ValueError, match="loss_type"):
        MODELS.build(dict(type="AssociativeEmbeddingLoss", loss_type="hinge"))


def _head(k, tag_dim, per_keypoint):
    return MODELS.build(
        dict(
            type="AssociativeEmbeddingHead",
            in_channels=4,
            num_keypoints=k,
            tag_dim=tag_dim,
            tag_per_keypoint=per_keypoint,
            deconv_out_channels=None,
        )
    )


def test_flipped_tags_swap_keypoints_in_the_l_k_layout():
    k, dims = 3, 2
    head = _head(k, dims, True)
    tags = torch.zeros(1, dims * k, 1, 2)
    for ch in range(dims * k):
        tags[0, ch, 0, 0] = 10 * (ch // k) + ch % k  # dimension l = ch // k of keypoint ch % k
    flipped = head._flip_tags(tags, [0, 2, 1])
    expected = [10 * (ch // k) + [0, 2, 1][ch % k] for ch in range(dims * k)]
    assert flipped[0, :, 0, 1].tolist() == expected  # and moved to the mirrored column
    fields = head._tag_fields(tags)  # (B, K, L, H, W) for the decoder
    assert fields[0, :, :, 0, 0].tolist() == [[0, 10], [1, 11], [2, 12]]


def test_shared_tag_maps_serve_every_keypoint_in_the_loss():
    """Two shared tag dimensions for two keypoints: a person whose keypoints share one 2D tag
    has no pull, whatever the values of the two dimensions."""
    k = 2
    head = _head(k, 2, False)
    with torch.no_grad():
        head.final_layer.weight.zero_()
        head.final_layer.bias.copy_(torch.tensor([0.0, 0.0, 1.0, 3.0]))  # 2 heatmaps, 2 tag dims
    from mmengine.structures import InstanceData, PixelData

    from visionbox.pose.structures import PoseDataSample

    sample = PoseDataSample()
    sample.gt_fields = PixelData(heatmaps=torch.zeros(k, 4, 4))
    sample.gt_instance_labels = InstanceData(
        keypoint_indices=torch.tensor([[[0, 1], [5, 1]]]), keypoint_weights=torch.ones(1, k)
    )
    losses = head.loss((torch.randn(1, 4, 4, 4),), [sample])
    assert losses["loss_pull"].item() == pytest.approx(0.0, abs=1e-9)


def test_decoded_instance_scores_ignore_filled_in_keypoints():
    """A weak spurious peak with its own tag starts a group whose missing keypoints are filled
    from other people's strong peaks: it must still rank far below the real people."""
    k, size = 3, 32
    codec = KEYPOINT_CODECS.build(
        dict(type="AssociativeEmbedding", input_size=(size, size), heatmap_size=(size, size))
    )
    people = np.array([[[5, 5], [5, 12], [5, 20]], [[20, 5], [20, 12], [20, 20]]], np.float32)
    heatmaps = codec.encode(people, np.ones((2, k)))["heatmaps"]
    tags = np.zeros((k, size, size, 1), np.float32)
    tags[:, :, 13:] = 3.0  # the right person's tag
    yy, xx = np.mgrid[:size, :size]
    spur = np.exp(-((xx - 12) ** 2 + (yy - 28) ** 2) / 2.0) * 0.3
    heatmaps[0] = np.maximum(heatmaps[0], spur)
    tags[0, 26:31, 10:15] = 6.0  # the spurious peak's own tag
    keypoints, scores, instance_scores = codec.decode_instances(heatmaps, tags)
    assert len(keypoints) == 3
    order = np.argsort(-instance_scores)
    assert instance_scores[order[:2]].min() > 0.9
    assert instance_scores[order[2]] < 0.15  # 0.3 / 3, though its filled keypoints score ~1
    assert scores[order[2]].mean() > 0.5
    np.testing.assert_allclose(
        np.sort(keypoints[order[:2], 0, 0]), [5, 20], atol=0.3
    )  # the real people come first


def test_udp_decoding_refines_keypoints_with_dark_udp():
    """With ``use_udp`` the decoder refines with DARK-UDP (as mmpose), well below the quarter
    pixel of the plain refinement."""
    k, size = 3, 48
    rng = np.random.default_rng(2)
    people = np.stack([rng.uniform(6, 18, (k, 2)), rng.uniform(28, 40, (k, 2))]).astype(np.float32)
    errors = {}
    for use_udp in (False, True):
        codec = KEYPOINT_CODECS.build(
            dict(
                type="AssociativeEmbedding",
                input_size=(size, size),
                heatmap_size=(size, size),
                sigma=2.0,
                use_udp=use_udp,
            )
        )
        heatmaps = codec.encode(people, np.ones((2, k)))["heatmaps"]
        tags = np.zeros((k, size, size, 1), np.float32)
        tags[:, :, size // 2 :] = 3.0
        keypoints, _ = codec.decode(heatmaps, tags)
        keypoints = keypoints[np.argsort(keypoints[:, 0, 0])]
        errors[use_udp] = np.abs(keypoints - people).max()
    assert errors[False] <= 0.5 and errors[True] < 0.1
