"""``ConvModule`` (conv / norm / activation in a configurable order) and
``DepthwiseSeparableConvModule`` (MobileNets, https://arxiv.org/abs/1704.04861)."""

from __future__ import annotations

import warnings
from typing import Literal

from mmengine.model import constant_init, kaiming_init
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from ...registry import MODELS
from .activation import build_activation_layer
from .conv import build_conv_layer, build_padding_layer
from .norm import build_norm_layer

__all__ = ["ConvModule", "DepthwiseSeparableConvModule"]

IntPair = int | tuple[int, int]
_NO_INPLACE = ("Tanh", "PReLU", "Sigmoid", "HSigmoid", "Swish", "GELU", "Clamp", "Clip")
_TORCH_PADDING = ("zeros", "circular")
_ORDER_PARTS = {"conv", "norm", "act"}


@MODELS.register_module()
class ConvModule(nn.Module):
    """A conv layer with optional norm and activation layers, as mmcv's ``ConvModule``.

    Keys: ``conv``, the norm under its abbreviation (``bn``, ``gn``, ...), ``activate``.

    Args:
        in_channels: Input channels C_in.
        out_channels: Output channels C_out.
        kernel_size: Kernel size.
        stride: Stride.
        padding: Padding on each side.
        dilation: Dilation.
        groups: Conv groups.
        bias: ``'auto'`` means a bias only when there is no norm layer.
        conv_cfg: Conv config (``None`` = Conv2d; ``dict(type='DCNv2')`` ...).
        norm_cfg: Norm config or ``None``.
        act_cfg: Activation config or ``None``.
        inplace: In-place activation (ignored by activations without the option).
        with_spectral_norm: Wrap the conv in spectral normalization.
        padding_mode: ``zeros`` / ``circular`` (by the conv) or ``reflect`` / ``replicate`` /
            ``zero`` (an explicit padding layer ``padding_layer``).
        order: The order of ``'conv'``, ``'norm'`` and ``'act'``.

    Shapes: (N, C_in, H, W) -> (N, C_out, H', W').
    """

    _abbr_ = "conv_block"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair = 1,
        padding: IntPair = 0,
        dilation: IntPair = 1,
        groups: int = 1,
        bias: bool | Literal["auto"] = "auto",
        conv_cfg: dict | None = None,
        norm_cfg: dict | None = None,
        act_cfg: dict | None = dict(type="ReLU"),  # noqa: B006 (read-only default)
        inplace: bool = True,
        with_spectral_norm: bool = False,
        padding_mode: str = "zeros",
        order: tuple[str, str, str] = ("conv", "norm", "act"),
    ) -> None:
        super().__init__()
        for name, value in (("conv_cfg", conv_cfg), ("norm_cfg", norm_cfg), ("act_cfg", act_cfg)):
            if value is not None and not isinstance(value, dict):
                raise TypeError(f"ConvModule: {name} must be a dict or None, got {value!r}")
        order = tuple(order)
        if len(order) != 3 or set(order) != _ORDER_PARTS:
            raise ValueError(
                f"ConvModule: order must hold 'conv', 'norm' and 'act' once each, got {order!r}"
            )
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.inplace = inplace
        self.with_spectral_norm = with_spectral_norm
        self.with_explicit_padding = padding_mode not in _TORCH_PADDING
        self.order = order
        self.with_norm = norm_cfg is not None
        self.with_activation = act_cfg is not None
        if bias == "auto":
            bias = not self.with_norm
        self.with_bias = bias

        if self.with_explicit_padding:
            self.padding_layer = build_padding_layer(dict(type=padding_mode), padding)
        conv_kwargs = dict(
            stride=stride,
            padding=0 if self.with_explicit_padding else padding,
            dilation=dilation,
            groups=groups,
            bias=bias,
        )
        if padding_mode == "circular":
            conv_kwargs["padding_mode"] = padding_mode
        self.conv = build_conv_layer(
            conv_cfg, in_channels, out_channels, kernel_size, **conv_kwargs
        )
        self.in_channels = self.conv.in_channels
        self.out_channels = self.conv.out_channels
        self.kernel_size = self.conv.kernel_size
        self.stride = self.conv.stride
        self.padding = padding
        self.dilation = self.conv.dilation
        self.transposed = self.conv.transposed
        self.output_padding = self.conv.output_padding
        self.groups = self.conv.groups
        if with_spectral_norm:
            self.conv = nn.utils.spectral_norm(self.conv)

        self.norm_name: str | None = None
        if self.with_norm:
            norm_channels = (
                out_channels if order.index("norm") > order.index("conv") else in_channels
            )
            self.norm_name, norm = build_norm_layer(norm_cfg, norm_channels)
            self.add_module(self.norm_name, norm)
            if self.with_bias and isinstance(norm, (_BatchNorm, _InstanceNorm)):
                warnings.warn("Unnecessary conv bias before batch/instance norm", stacklevel=2)

        if self.with_activation:
            act = dict(act_cfg)
            if act["type"] not in _NO_INPLACE:
                act.setdefault("inplace", inplace)
            self.activate = build_activation_layer(act)
        self.init_weights()

    @property
    def norm(self) -> nn.Module | None:
        """The norm layer, or ``None``."""
        return getattr(self, self.norm_name) if self.norm_name else None

    def init_weights(self) -> None:
        """Kaiming-normal conv weights (matched to the activation), unit norm weights."""
        if not hasattr(self.conv, "init_weights"):
            if self.with_activation and self.act_cfg["type"] == "LeakyReLU":
                nonlinearity, a = "leaky_relu", self.act_cfg.get("negative_slope", 0.01)
            else:
                nonlinearity, a = "relu", 0
            kaiming_init(self.conv, a=a, nonlinearity=nonlinearity)
        if self.with_norm:
            constant_init(self.norm, 1, bias=0)

    def forward(self, x: Tensor, activate: bool = True, norm: bool = True) -> Tensor:
        for layer in self.order:
            if layer == "conv":
                if self.with_explicit_padding:
                    x = self.padding_layer(x)
                x = self.conv(x)
            elif layer == "norm" and norm and self.with_norm:
                x = self.norm(x)
            elif layer == "act" and activate and self.with_activation:
                x = self.activate(x)
        return x


class DepthwiseSeparableConvModule(nn.Module):
    """A depthwise ``ConvModule`` (groups = C_in) followed by a pointwise 1x1 ``ConvModule``.

    Keys: ``depthwise_conv.*``, ``pointwise_conv.*``. ``dw_*`` / ``pw_*`` configs default to
    ``norm_cfg`` / ``act_cfg`` when left as ``'default'``.

    Shapes: (N, C_in, H, W) -> (N, C_out, H', W').
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair = 1,
        padding: IntPair = 0,
        dilation: IntPair = 1,
        norm_cfg: dict | None = None,
        act_cfg: dict | None = dict(type="ReLU"),  # noqa: B006 (read-only default)
        dw_norm_cfg: dict | None | Literal["default"] = "default",
        dw_act_cfg: dict | None | Literal["default"] = "default",
        pw_norm_cfg: dict | None | Literal["default"] = "default",
        pw_act_cfg: dict | None | Literal["default"] = "default",
        conv_cfg: dict | None = None,
        bias: bool | Literal["auto"] = "auto",
        inplace: bool = True,
        padding_mode: str = "zeros",
        order: tuple[str, str, str] = ("conv", "norm", "act"),
    ) -> None:
        super().__init__()
        dw_norm_cfg = norm_cfg if dw_norm_cfg == "default" else dw_norm_cfg
        dw_act_cfg = act_cfg if dw_act_cfg == "default" else dw_act_cfg
        pw_norm_cfg = norm_cfg if pw_norm_cfg == "default" else pw_norm_cfg
        pw_act_cfg = act_cfg if pw_act_cfg == "default" else pw_act_cfg
        common = dict(conv_cfg=conv_cfg, bias=bias, inplace=inplace, order=order)
        self.depthwise_conv = ConvModule(
            in_channels,
            in_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=in_channels,
            norm_cfg=dw_norm_cfg,
            act_cfg=dw_act_cfg,
            padding_mode=padding_mode,
            **common,
        )
        self.pointwise_conv = ConvModule(
            in_channels, out_channels, 1, norm_cfg=pw_norm_cfg, act_cfg=pw_act_cfg, **common
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.pointwise_conv(self.depthwise_conv(x))
