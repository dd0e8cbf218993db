"""``AssociativeEmbeddingLoss``: pull the tags of one person together, push different people's
apart (Newell et al., NeurIPS 2017).

Shape shorthand: B images, K keypoints, L tag dimensions, H x W tag maps, N people of an image.
The tag maps are laid out as mmpose's: channel ``l * K + k`` holds dimension ``l`` of keypoint
``k``'s tag.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from ...registry import MODELS

__all__ = ["AssociativeEmbeddingLoss"]


@MODELS.register_module()
class AssociativeEmbeddingLoss(nn.Module):
    """Pull loss: mean squared distance of each person's keypoint tags to their mean, averaged
    over the people of an image. Push loss: mean over ordered pairs of different people
    (i != j) of a penalty on their mean tags' difference ``d``, summed over the L dimensions,
    times ``push_loss_factor``. Both are summed over the images of the batch (as mmpose does)
    and multiplied by ``loss_weight``.

    ``loss_type`` picks the push penalty:

    - ``'exp'`` (mmpose 1.x): ``exp(-d^2)``. Its gradient vanishes at ``d = 0``, so tags that
      start (or fall) equal for everybody get no push: with few people per image the pull term
      can then keep every tag at one value.
    - ``'max'`` (mmpose 0.x's alternative): ``max(0, 1 - |d|)``, whose gradient does not vanish
      near ``d = 0``; people are pushed until their tags are one unit apart, the distance that
      the codec's ``decode_tag_thr`` (default 1.0) separates.

    Args:
        loss_weight: Factor of both losses.
        push_loss_factor: Extra factor of the push loss.
        loss_type: ``'exp'`` or ``'max'`` push penalty.
    """

    def __init__(
        self,
        loss_weight: float = 1.0,
        push_loss_factor: float = 0.5,
        loss_type: Literal["exp", "max"] = "exp",
    ) -> None:
        super().__init__()
        if loss_type not in ("exp", "max"):
            raise ValueError(f"loss_type must be 'exp' or 'max'; got {loss_type!r}.")
        self.loss_weight = loss_weight
        self.push_loss_factor = push_loss_factor
        self.loss_type = loss_type

    def _per_image(self, tags: Tensor, indices: Tensor) -> tuple[Tensor, Tensor]:
        """tags (L, K, H * W); indices (N, K, 2) as (flat index, valid) -> (pull, push)."""
        k = tags.shape[1]
        flat = indices[..., 0].long().clamp(min=0, max=tags.shape[-1] - 1)  # (N, K)
        valid = indices[..., 1] > 0
        picked = tags[:, torch.arange(k, device=tags.device)[None, :], flat]  # (L, N, K)
        picked = picked.permute(1, 2, 0)  # (N, K, L)
        counts = valid.sum(dim=1)
        present = counts > 0
        zero = tags.sum() * 0
        if not present.any():
            return zero, zero
        picked, valid, counts = picked[present], valid[present], counts[present]
        mask = valid[..., None].to(picked.dtype)
        means = (picked * mask).sum(dim=1) / counts[:, None]  # (N, L)
        sq = ((picked - means[:, None]) ** 2 * mask).sum(dim=(1, 2)) / (counts * picked.shape[-1])
        pull = sq.mean()
        n = means.shape[0]
        if n < 2:
            return pull, zero
        diff = means[None] - means[:, None]  # (N, N, L)
        if self.loss_type == "exp":
            penalty = torch.exp(-(diff**2))
        else:
            penalty = (1 - diff.abs()).clamp(min=0)
        off_diagonal = ~torch.eye(n, dtype=torch.bool, device=tags.device)
        push = penalty[off_diagonal].sum() / (n * (n - 1))
        return pull, push

    def forward(
        self, tags: Tensor, keypoint_indices: list[Tensor] | Tensor
    ) -> tuple[Tensor, Tensor]:
        """tags (B, L * K, H, W); per image an (N_b, K, 2) index tensor of (y * W + x, valid)
        (a list, or one (B, N, K, 2) tensor) -> (pull, push) scalars."""
        b, c, h, w = tags.shape
        if len(keypoint_indices) != b:
            raise ValueError(f"{len(keypoint_indices)} index tensors for a batch of {b} tag maps.")
        pull = push = tags.sum() * 0
        for i, indices in enumerate(keypoint_indices):
            k = indices.shape[1]
            if c % k:
                raise ValueError(
                    f"tags have {c} channels, not a multiple of the {k} keypoints (L * K)."
                )
            p, q = self._per_image(tags[i].reshape(c // k, k, h * w), indices.to(tags.device))
            pull = pull + p
            push = push + q
        return pull * self.loss_weight, push * self.loss_weight * self.push_loss_factor
