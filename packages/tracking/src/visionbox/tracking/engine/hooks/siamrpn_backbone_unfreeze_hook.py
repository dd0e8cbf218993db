"""``SiamRPNBackboneUnfreezeHook``: train chosen backbone stages of SiamRPN++ from an epoch on
(mmtracking's hook of the same name)."""

from __future__ import annotations

from collections.abc import Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from visionbox.core.utils import did_you_mean

from ...registry import HOOKS

__all__ = ["SiamRPNBackboneUnfreezeHook"]


@HOOKS.register_module()
class SiamRPNBackboneUnfreezeHook(Hook):
    """From epoch ``backbone_start_train_epoch`` (counted from 0) on, the parameters of the
    backbone's ``backbone_train_layers`` get gradients and their BatchNorm layers run in training
    mode.

    The SiamRPN++ recipe builds the backbone with ``frozen_stages=4`` and ``norm_eval=True``.
    mmengine's train loop calls ``model.train()`` *after* the ``before_train_epoch`` hooks, and
    ``train()`` re-applies ``frozen_stages`` / ``norm_eval``; so the hook unfreezes the layers again
    before every training iteration. This gives the effect of mmtracking 0.x (where
    ``model.train()`` ran before the hook), the paper's recipe.

    Args:
        backbone_start_train_epoch: First epoch (from 0) that trains the layers.
        backbone_train_layers: Names of the backbone's stages to train.
    """

    def __init__(
        self,
        backbone_start_train_epoch: int = 10,
        backbone_train_layers: Sequence[str] = ("layer2", "layer3", "layer4"),
    ) -> None:
        if backbone_start_train_epoch < 0:
            raise ValueError(
                f"backbone_start_train_epoch must be >= 0, got {backbone_start_train_epoch}"
            )
        if isinstance(backbone_train_layers, str) or not backbone_train_layers:
            raise TypeError(
                "backbone_train_layers must be a non-empty list of stage names, got "
                f"{backbone_train_layers!r}"
            )
        self.backbone_start_train_epoch = backbone_start_train_epoch
        self.backbone_train_layers = list(backbone_train_layers)

    @staticmethod
    def _backbone(runner) -> nn.Module:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not isinstance(getattr(model, "backbone", None), nn.Module):
            raise AttributeError(
                f"SiamRPNBackboneUnfreezeHook needs a model with a backbone, got "
                f"{type(model).__name__}"
            )
        return model.backbone

    def before_train(self, runner) -> None:
        backbone = self._backbone(runner)
        names = [n for n, _ in backbone.named_children()]
        for layer in self.backbone_train_layers:
            if not isinstance(getattr(backbone, layer, None), nn.Module):
                raise KeyError(
                    f"SiamRPNBackboneUnfreezeHook: the backbone has no stage {layer!r}."
                    f"{did_you_mean(layer, names)} Stages: {', '.join(names)}"
                )

    def _unfreeze(self, runner) -> None:
        if runner.epoch < self.backbone_start_train_epoch:
            return
        backbone = self._backbone(runner)
        for layer in self.backbone_train_layers:
            stage = getattr(backbone, layer)
            for param in stage.parameters():
                param.requires_grad_(True)
            for module in stage.modules():
                if isinstance(module, _BatchNorm):
                    module.train()

    def before_train_epoch(self, runner) -> None:
        self._unfreeze(runner)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self._unfreeze(runner)
