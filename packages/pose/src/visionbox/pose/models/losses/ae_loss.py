"""``AssociativeEmbeddingLoss``: pull the tags of one person together, push different people's
apart (Newell et al., NeurIPS 2017).

Shape shorthand: B images, K keypoints, L tag dimensions, H x W tag maps, N people of an image.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ...registry import MODELS

__all__ = ["AssociativeEmbeddingLoss"]


@MODELS.register_module()
class AssociativeEmbeddingLoss(nn.Module):
    """Pull loss: mean squared distance of each person's keypoint tags to their mean. Push loss:
    mean of ``exp(-||m_i - m_j||^2)`` over pairs of different people's mean tags, times
    ``push_loss_factor``.

    Args:
        loss_weight: Factor of both losses.
        push_loss_factor: Extra factor of the push loss.
    """

    def __init__(self, loss_weight: float = 1.0, push_loss_factor: float = 0.5) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.push_loss_factor = push_loss_factor

    def _per_image(self, tags: Tensor, indices: Tensor) -> tuple[Tensor, Tensor]:
        """tags (K, L, H * W); indices (N, K, 2) as (flat index, valid)."""
        k = tags.shape[0]
        flat = indices[..., 0].long().clamp(min=0, max=tags.shape[-1] - 1)  # (N, K)
        valid = indices[..., 1] > 0
        picked = tags[torch.arange(k, device=tags.device)[None, :], :, flat]  # (N, K, L)
        counts = valid.sum(dim=1)
        present = counts > 0
        zero = tags.sum() * 0
        if not present.any():
            return zero, zero
        picked, valid, counts = picked[present], valid[present], counts[present]
        mask = valid[..., None].float()
        means = (picked * mask).sum(dim=1) / counts[:, None]  # (N, L)
        sq = ((picked - means[:, None]) ** 2 * mask).sum(dim=(1, 2)) / (counts * picked.shape[-1])
        pull = sq.mean()
        n = means.shape[0]
        if n < 2:
            return pull, zero
        diff = means[None] - means[:, None]
        push = torch.exp(-(diff**2).sum(-1))
        push = (push.sum() - n) / (n * (n - 1))
        return pull, push * self.push_loss_factor

    def forward(self, tags: Tensor, keypoint_indices: list[Tensor]) -> tuple[Tensor, Tensor]:
        """tags (B, K * L, H, W) (or (B, L, H, W) shared by all keypoints); one (N_b, K, 2) index
        tensor per image -> (pull, push)."""
        b, c, h, w = tags.shape
        pulls, pushes = [], []
        for i, indices in enumerate(keypoint_indices):
            k = indices.shape[1]
            if c >= k and c % k == 0:  # one tag map (of c // k dimensions) per keypoint type
                per = tags[i].reshape(k, -1, h * w)
            else:  # c maps shared by every keypoint type
                per = tags[i].reshape(1, c, h * w).expand(k, c, h * w)
            pull, push = self._per_image(per, indices.to(tags.device))
            pulls.append(pull)
            pushes.append(push)
        return (
            torch.stack(pulls).mean() * self.loss_weight,
            torch.stack(pushes).mean() * self.loss_weight,
        )
