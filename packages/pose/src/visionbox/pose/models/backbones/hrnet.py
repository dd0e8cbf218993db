"""HRNet with mmpose 1.x's default: the last stage returns only the highest-resolution branch
unless ``extra['stage4']['multiscale_output']`` says otherwise (Sun et al., "Deep High-Resolution
Representation Learning for Human Pose Estimation", CVPR 2019). The trunk and its ``state_dict``
keys are core's :class:`~visionbox.core.models.HRNet`."""

from __future__ import annotations

from visionbox.core.models.backbones import HRNet as CoreHRNet

from ...registry import MODELS

__all__ = ["HRNet"]


@MODELS.register_module()
class HRNet(CoreHRNet):
    """Core's HRNet; ``multiscale_output`` defaults to False, as in mmpose.

    Args:
        extra: The stage configs (``stage1`` ... ``stage4``), as in mmpose.
        in_channels: Input image channels.
        conv_cfg: Convolution config.
        norm_cfg: Normalisation config.
        norm_eval: Keep BatchNorm statistics frozen while training.
        with_cp: Gradient checkpointing in the blocks.
        zero_init_residual: Zero-initialise the last norm of each residual block.
        frozen_stages: Stages to freeze (-1: none).
        init_cfg: Weight initialisation config.
    """

    def __init__(
        self,
        extra: dict,
        in_channels: int = 3,
        conv_cfg: dict | None = None,
        norm_cfg: dict = dict(type="BN", requires_grad=True),  # noqa: B006 (read-only default)
        norm_eval: bool = False,
        with_cp: bool = False,
        zero_init_residual: bool = False,
        frozen_stages: int = -1,
        init_cfg: dict | list[dict] | None = None,
    ) -> None:
        super().__init__(
            extra=extra,
            in_channels=in_channels,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            norm_eval=norm_eval,
            with_cp=with_cp,
            frozen_stages=frozen_stages,
            zero_init_residual=zero_init_residual,
            multiscale_output=False,
            init_cfg=init_cfg,
        )
