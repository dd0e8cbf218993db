"""From a config to an mmengine Runner: training, testing, checkpoints and resume."""
