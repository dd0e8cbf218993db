"""``RealNVP``: the 2D normalising flow of RLE's residual log-likelihood (Dinh et al., "Density
estimation using Real NVP", ICLR 2017). ``state_dict`` keys: ``s.i.j.*``, ``t.i.j.*`` and the
``loc`` / ``cov`` / ``mask`` buffers, as mmpose's."""

from __future__ import annotations

import torch
from torch import Tensor, distributions, nn

__all__ = ["RealNVP"]


def _scale_net() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(2, 64), nn.LeakyReLU(), nn.Linear(64, 64), nn.LeakyReLU(), nn.Linear(64, 2),
        nn.Tanh(),
    )  # fmt: skip


def _trans_net() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(2, 64), nn.LeakyReLU(), nn.Linear(64, 64), nn.LeakyReLU(), nn.Linear(64, 2)
    )


class RealNVP(nn.Module):
    """Six affine coupling layers with alternating masks over a standard 2D Gaussian prior."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("loc", torch.zeros(2))
        self.register_buffer("cov", torch.eye(2))
        self.register_buffer("mask", torch.tensor([[0, 1], [1, 0]] * 3, dtype=torch.float32))
        self.s = nn.ModuleList([_scale_net() for _ in range(len(self.mask))])
        self.t = nn.ModuleList([_trans_net() for _ in range(len(self.mask))])
        self.init_weights()

    def init_weights(self) -> None:
        """Xavier-uniform weights with a small gain: the flow starts close to the identity."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight, gain=0.01)

    @property
    def prior(self) -> distributions.MultivariateNormal:
        return distributions.MultivariateNormal(self.loc, self.cov)

    def backward_p(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Data (M, 2) -> latent (M, 2) and the log-determinant (M,) of the Jacobian."""
        log_det, z = x.new_zeros(x.shape[0]), x
        for i in reversed(range(len(self.t))):
            z_ = self.mask[i] * z
            s = self.s[i](z_) * (1 - self.mask[i])
            t = self.t[i](z_) * (1 - self.mask[i])
            z = (1 - self.mask[i]) * (z - t) * torch.exp(-s) + z_
            log_det = log_det - s.sum(dim=1)
        return z, log_det

    def log_prob(self, x: Tensor) -> Tensor:
        """Log density (M,) of (M, 2) points."""
        dtype = x.dtype
        z, log_det = self.backward_p(x.float())
        return (self.prior.log_prob(z) + log_det).to(dtype)
