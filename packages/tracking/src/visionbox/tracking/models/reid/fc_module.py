"""``FcModule``: a linear layer with optional norm and activation (mmdetection's ReID block)."""

from __future__ import annotations

from mmengine.model import BaseModule
from torch import Tensor, nn

from visionbox.core.models import build_activation_layer, build_norm_layer
from visionbox.tracking.registry import MODELS

__all__ = ["FcModule"]


@MODELS.register_module()
class FcModule(BaseModule):
    """``fc`` -> ``norm`` (optional) -> ``activate`` (optional).

    Args:
        in_channels: Input features.
        out_channels: Output features.
        norm_cfg: Norm config, e.g. ``dict(type='BN1d')``.
        act_cfg: Activation config.
        inplace: In-place activation.
        init_cfg: Initialisation config.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        norm_cfg: dict | None = None,
        act_cfg: dict | None = None,
        inplace: bool = True,
        init_cfg: dict | None = None,
    ) -> None:
        super().__init__(init_cfg if init_cfg is not None else dict(type="Kaiming", layer="Linear"))
        act_cfg = dict(type="ReLU") if act_cfg is None else act_cfg
        self.fc = nn.Linear(in_channels, out_channels)
        self.with_norm = norm_cfg is not None
        self.with_activation = bool(act_cfg)
        if self.with_norm:
            self.norm_name, norm = build_norm_layer(norm_cfg, out_channels)
            self.add_module(self.norm_name, norm)
        if self.with_activation:
            act = dict(act_cfg)
            if act["type"] not in ("Tanh", "PReLU", "Sigmoid", "HSigmoid", "Swish"):
                act.setdefault("inplace", inplace)
            self.activate = build_activation_layer(act)

    @property
    def norm(self) -> nn.Module:
        return getattr(self, self.norm_name)

    def forward(self, x: Tensor, activate: bool = True, norm: bool = True) -> Tensor:
        """(N, in_channels) -> (N, out_channels)."""
        x = self.fc(x)
        if norm and self.with_norm:
            x = self.norm(x)
        if activate and self.with_activation:
            x = self.activate(x)
        return x
