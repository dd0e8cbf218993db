"""Optimizers and optimizer-wrapper constructors of VisionBox.

Every ``torch.optim`` optimizer is available by name (``dict(type='AdamW', lr=1e-4)``): mmengine
registers them in its root ``OPTIMIZERS`` when :mod:`mmengine.optim` is imported, which this
package does, and core's ``OPTIMIZERS`` finds them through its parent. As in mmengine,
``torch.optim.Adafactor`` is named ``'TorchAdafactor'`` (``'Adafactor'`` is transformers').

User optimizers are registered with ``@OPTIMIZERS.register_module()`` and user constructors with
``@OPTIM_WRAPPER_CONSTRUCTORS.register_module()`` (alias ``OPTIMIZER_BUILDERS``), both from
:mod:`visionbox.core.registry` or a task's registry, and chosen in a config with
``optim_wrapper=dict(constructor='MyConstructor', paramwise_cfg=..., optimizer=dict(type=...))``.
mmengine's ``DefaultOptimWrapperConstructor`` provides ``paramwise_cfg`` (``custom_keys``,
``bias_lr_mult``, ``bias_decay_mult``, ``norm_decay_mult``, ``dwconv_decay_mult``,
``bypass_duplicate``, ...); :class:`LayerDecayOptimizerConstructor` adds layer-wise decay.
"""

import mmengine.optim  # noqa: F401  (registers torch.optim optimizers in mmengine's root)

from .builder import build_optim_wrapper, check_optim_wrapper_cfg
from .layer_decay import LayerDecayOptimizerConstructor, layer_id_table

__all__ = [
    "LayerDecayOptimizerConstructor",
    "build_optim_wrapper",
    "check_optim_wrapper_cfg",
    "layer_id_table",
]
