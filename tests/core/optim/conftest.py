"""Keep mmengine's global default scope as it was before each optim test."""

import pytest
from mmengine.registry import DefaultScope


@pytest.fixture(autouse=True)
def _restore_default_scope():
    """Runners create mmengine DefaultScope instances; drop them so later tests see none."""
    saved = DefaultScope._instance_dict.copy()
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)
