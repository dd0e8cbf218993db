"""``merge_kwargs_signature``: constructors that forward ``**kwargs`` keep their base's keywords."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from visionbox.core.config.typecheck import param_hints
from visionbox.core.utils import check_kwargs, merge_kwargs_signature


class _Base:
    def __init__(self, depth: int = 1, width: float = 1.0, name: str = "a") -> None:
        self.depth, self.width, self.name = depth, width, name


@merge_kwargs_signature
class _Deeper(_Base):
    def __init__(self, depth: int = 4, **kwargs: Any) -> None:
        super().__init__(depth=depth, **kwargs)


def test_merged_signature_keeps_defaults_keywords_and_hints():
    params = inspect.signature(_Deeper).parameters
    assert list(params) == ["depth", "width", "name"]
    assert params["depth"].default == 4 and params["width"].default == 1.0
    assert param_hints(_Deeper)["width"] is float
    assert _Deeper(width=2.0).depth == 4
    with pytest.raises(TypeError, match="Did you mean 'width'"):
        check_kwargs(_Deeper, ["widht"])
