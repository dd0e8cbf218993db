"""Pose hooks and optimizer constructors."""

from .layer_decay_optim_wrapper import LayerDecayOptimWrapperConstructor
from .visualization_hook import PoseVisualizationHook

__all__ = ["LayerDecayOptimWrapperConstructor", "PoseVisualizationHook"]
