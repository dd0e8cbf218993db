"""The gated attention unit of RTMPose's head (Hua et al., "Transformer Quality in Linear Time",
ICML 2022): ``ScaleNorm``, ``Scale`` and ``RTMCCBlock`` with mmpose's ``state_dict`` keys.

Shape shorthand: B samples, K tokens (keypoints), C token dimensions.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["RTMCCBlock", "Scale", "ScaleNorm"]


class ScaleNorm(nn.Module):
    """``x / ||x|| * sqrt(C) * g`` with one learnt gain ``g``."""

    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.scale = dim**-0.5
        self.eps = eps
        self.g = nn.Parameter(torch.ones(1))

    def forward(self, x: Tensor) -> Tensor:
        norm = torch.norm(x, dim=-1, keepdim=True) * self.scale
        return x / norm.clamp(min=self.eps) * self.g


class Scale(nn.Module):
    """Multiply by a learnt (C,) vector."""

    def __init__(self, dim: int, init_value: float = 1.0, trainable: bool = True) -> None:
        super().__init__()
        self.scale = nn.Parameter(init_value * torch.ones(dim), requires_grad=trainable)

    def forward(self, x: Tensor) -> Tensor:
        return x * self.scale


class RTMCCBlock(nn.Module):
    """Self-attention gated attention unit over (B, K, C) keypoint tokens.

    Args:
        num_token: K.
        in_token_dims: Input C.
        out_token_dims: Output C (a scaled shortcut when equal to the input's).
        expansion_factor: Width of the gated value branch, as a multiple of ``in_token_dims``.
        s: Width of the shared query/key branch.
        eps: Epsilon of the ScaleNorm.
        dropout_rate: Dropout on the attention kernel.
        drop_path: Stochastic depth of the block (0: none).
        attn_type: ``'self-attn'`` (the only type implemented).
        act_fn: ``'SiLU'`` or ``'ReLU'``.
        bias: Biases in the linear layers.
        use_rel_bias: Learnt relative position bias (parameter ``w``).
        pos_enc: Rotary position encoding (not implemented; must be False).
    """

    def __init__(
        self,
        num_token: int,
        in_token_dims: int,
        out_token_dims: int,
        expansion_factor: int = 2,
        s: int = 128,
        eps: float = 1e-5,
        dropout_rate: float = 0.0,
        drop_path: float = 0.0,
        attn_type: Literal["self-attn"] = "self-attn",
        act_fn: Literal["SiLU", "ReLU"] = "SiLU",
        bias: bool = False,
        use_rel_bias: bool = True,
        pos_enc: bool = False,
    ) -> None:
        super().__init__()
        if attn_type != "self-attn" or pos_enc:
            raise ValueError("RTMCCBlock implements attn_type='self-attn' without pos_enc only.")
        if act_fn not in ("SiLU", "ReLU"):
            raise ValueError(f"act_fn must be 'SiLU' or 'ReLU'; got {act_fn!r}.")
        self.s = s
        self.num_token = num_token
        self.use_rel_bias = use_rel_bias
        self.drop_path_rate = drop_path
        self.e = int(in_token_dims * expansion_factor)
        if use_rel_bias:
            self.w = nn.Parameter(torch.rand([2 * num_token - 1], dtype=torch.float))
        self.o = nn.Linear(self.e, out_token_dims, bias=bias)
        self.uv = nn.Linear(in_token_dims, 2 * self.e + self.s, bias=bias)
        self.gamma = nn.Parameter(torch.rand((2, self.s)))
        self.beta = nn.Parameter(torch.rand((2, self.s)))
        self.ln = ScaleNorm(in_token_dims, eps=eps)
        nn.init.xavier_uniform_(self.uv.weight)
        self.act_fn = nn.SiLU(True) if act_fn == "SiLU" else nn.ReLU(True)
        self.shortcut = in_token_dims == out_token_dims
        if self.shortcut:
            self.res_scale = Scale(in_token_dims)
        self.sqrt_s = math.sqrt(s)
        self.dropout = nn.Dropout(dropout_rate) if dropout_rate > 0 else None

    def rel_pos_bias(self, seq_len: int) -> Tensor:
        """(1, K, K) bias from the learnt (2K - 1,) vector: bias[i, j] = w[j - i + K - 1]."""
        index = torch.arange(seq_len, device=self.w.device)
        return self.w[index[None, :] - index[:, None] + seq_len - 1][None]

    def _attend(self, x: Tensor) -> Tensor:
        x = self.ln(x)
        uv = self.act_fn(self.uv(x))
        u, v, base = torch.split(uv, [self.e, self.e, self.s], dim=2)
        base = base.unsqueeze(2) * self.gamma[None, None] + self.beta
        q, k = torch.unbind(base, dim=2)
        qk = torch.bmm(q, k.permute(0, 2, 1))
        if self.use_rel_bias:
            qk = qk + self.rel_pos_bias(q.size(1))
        kernel = torch.square(F.relu(qk / self.sqrt_s))
        if self.dropout is not None:
            kernel = self.dropout(kernel)
        return self.o(u * torch.bmm(kernel, v))

    def forward(self, x: Tensor) -> Tensor:
        out = self._attend(x)
        if self.training and self.drop_path_rate > 0:
            keep = torch.rand(x.shape[0], 1, 1, device=x.device) >= self.drop_path_rate
            out = out * keep / (1 - self.drop_path_rate)
        return self.res_scale(x) + out if self.shortcut else out
