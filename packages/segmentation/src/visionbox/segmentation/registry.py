"""Registries of visionbox.segmentation: children of core's registries with scope 'segmentation'.

Components of this package are found through ``locations``:
``from visionbox.segmentation.registry import MODELS; MODELS.build(cfg)`` needs no other import.
Core's components (ResNet, FPN, losses, transforms) resolve through the parent registries.
"""

from visionbox.core import registry as core
from visionbox.core.registry import child_registry

__all__ = [
    "RUNNERS",
    "RUNNER_CONSTRUCTORS",
    "LOOPS",
    "HOOKS",
    "STRATEGIES",
    "DATASETS",
    "DATA_SAMPLERS",
    "TRANSFORMS",
    "MODELS",
    "MODEL_WRAPPERS",
    "WEIGHT_INITIALIZERS",
    "OPTIMIZERS",
    "OPTIM_WRAPPERS",
    "OPTIM_WRAPPER_CONSTRUCTORS",
    "PARAM_SCHEDULERS",
    "METRICS",
    "EVALUATOR",
    "TASK_UTILS",
    "VISUALIZERS",
    "VISBACKENDS",
    "LOG_PROCESSORS",
    "INFERENCERS",
    "FUNCTIONS",
    "BACKBONES",
    "NECKS",
    "HEADS",
    "LOSSES",
    "OPTIMIZER_BUILDERS",
]

SCOPE = "segmentation"
_MODELS_AT = ["visionbox.segmentation.models"]
_DATA_AT = ["visionbox.segmentation.datasets"]
_ENGINE_AT = ["visionbox.segmentation.engine"]

RUNNERS = child_registry(core.RUNNERS, SCOPE, _ENGINE_AT)
RUNNER_CONSTRUCTORS = child_registry(core.RUNNER_CONSTRUCTORS, SCOPE, _ENGINE_AT)
LOOPS = child_registry(core.LOOPS, SCOPE, _ENGINE_AT)
HOOKS = child_registry(core.HOOKS, SCOPE, _ENGINE_AT)
STRATEGIES = child_registry(core.STRATEGIES, SCOPE, _ENGINE_AT)
DATASETS = child_registry(core.DATASETS, SCOPE, _DATA_AT)
DATA_SAMPLERS = child_registry(core.DATA_SAMPLERS, SCOPE, _DATA_AT)
TRANSFORMS = child_registry(core.TRANSFORMS, SCOPE, _DATA_AT)
MODELS = child_registry(core.MODELS, SCOPE, _MODELS_AT)
MODEL_WRAPPERS = child_registry(core.MODEL_WRAPPERS, SCOPE, _MODELS_AT)
WEIGHT_INITIALIZERS = child_registry(core.WEIGHT_INITIALIZERS, SCOPE, _MODELS_AT)
OPTIMIZERS = child_registry(core.OPTIMIZERS, SCOPE, [])
OPTIM_WRAPPERS = child_registry(core.OPTIM_WRAPPERS, SCOPE, [])
OPTIM_WRAPPER_CONSTRUCTORS = child_registry(core.OPTIM_WRAPPER_CONSTRUCTORS, SCOPE, [])
PARAM_SCHEDULERS = child_registry(core.PARAM_SCHEDULERS, SCOPE, [])
METRICS = child_registry(core.METRICS, SCOPE, ["visionbox.segmentation.evaluation"])
EVALUATOR = child_registry(core.EVALUATOR, SCOPE, ["visionbox.segmentation.evaluation"])
TASK_UTILS = child_registry(core.TASK_UTILS, SCOPE, _MODELS_AT)
VISUALIZERS = child_registry(core.VISUALIZERS, SCOPE, ["visionbox.segmentation.visualization"])
VISBACKENDS = child_registry(core.VISBACKENDS, SCOPE, ["visionbox.segmentation.visualization"])
LOG_PROCESSORS = child_registry(core.LOG_PROCESSORS, SCOPE, _ENGINE_AT)
INFERENCERS = child_registry(core.INFERENCERS, SCOPE, ["visionbox.segmentation.apis"])
FUNCTIONS = child_registry(core.FUNCTIONS, SCOPE, _DATA_AT)

# Aliases of the older OpenMMLab toolboxes.
BACKBONES = NECKS = HEADS = LOSSES = MODELS
OPTIMIZER_BUILDERS = OPTIM_WRAPPER_CONSTRUCTORS
