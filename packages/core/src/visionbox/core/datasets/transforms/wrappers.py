"""Transforms that run other transforms: ``Compose``, ``RandomApply``, ``RandomChoice``,
``TestTimeAug`` (mmcv 2.x names and arguments)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from itertools import product

import numpy as np

from ...registry import TRANSFORMS
from .base import BaseTransform

__all__ = ["Compose", "RandomApply", "RandomChoice", "TestTimeAug"]

Transform = dict | Callable


def _build(transform: Transform) -> Callable:
    if isinstance(transform, dict):
        transform = TRANSFORMS.build(transform)
    if not callable(transform):
        raise TypeError(f"A transform must be a config dict or a callable, got {type(transform)}.")
    return transform


def _build_list(transforms: Transform | Sequence[Transform] | None) -> list[Callable]:
    if transforms is None:
        return []
    if isinstance(transforms, dict) or callable(transforms):
        transforms = [transforms]
    return [_build(t) for t in transforms]


@TRANSFORMS.register_module()
class Compose(BaseTransform):
    """Apply transforms in order; stop and return ``None`` as soon as one returns ``None``.

    Args:
        transforms: Config dicts or callables.
    """

    def __init__(self, transforms: Transform | Sequence[Transform] | None) -> None:
        self.transforms = _build_list(transforms)

    def transform(self, results: dict) -> dict | None:
        for t in self.transforms:
            results = t(results)
            if results is None:
                return None
        return results

    def __iter__(self):
        return iter(self.transforms)

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose({inner}\n)"


@TRANSFORMS.register_module()
class RandomApply(BaseTransform):
    """Apply the transforms (as one ``Compose``) with probability ``prob``.

    Args:
        transforms: Config dicts or callables.
        prob: Probability of applying them.
    """

    def __init__(self, transforms: Transform | Sequence[Transform], prob: float = 0.5) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"RandomApply prob must be in [0, 1], got {prob}.")
        self.prob = prob
        self.transforms = Compose(transforms)

    def transform(self, results: dict) -> dict | None:
        if np.random.rand() < self.prob:
            return self.transforms(results)
        return results


@TRANSFORMS.register_module()
class RandomChoice(BaseTransform):
    """Apply one of several transform sequences, chosen at random.

    Args:
        transforms: A list of candidates, each a list of transforms.
        prob: Probabilities of the candidates (uniform when ``None``).
    """

    def __init__(
        self,
        transforms: Sequence[Transform | Sequence[Transform]],
        prob: Sequence[float] | None = None,
    ) -> None:
        if len(transforms) == 0:
            raise ValueError("RandomChoice needs at least one candidate.")
        if prob is not None:
            if len(prob) != len(transforms):
                raise ValueError(
                    f"RandomChoice got {len(prob)} probabilities for {len(transforms)} candidates."
                )
            if abs(sum(prob) - 1.0) > 1e-6:
                raise ValueError(f"RandomChoice probabilities must sum to 1, got {list(prob)}.")
        self.prob = prob
        self.transforms = [Compose(t) for t in transforms]

    def transform(self, results: dict) -> dict | None:
        idx = int(np.random.choice(len(self.transforms), p=self.prob))
        return self.transforms[idx](results)


@TRANSFORMS.register_module()
class TestTimeAug(BaseTransform):
    """Run every combination of the given transform stages on copies of ``results``.

    ``transforms = [[Resize(a), Resize(b)], [RandomFlip(prob=0.), RandomFlip(prob=1.)], [Pack]]``
    gives 4 results. The output is a dict of lists: ``{key: [value of combination i, ...]}``.

    Args:
        transforms: Stages; each stage is a list of alternative transforms.
        allow_empty: Allow a combination to return ``None`` (it is skipped); otherwise it raises.
    """

    def __init__(
        self, transforms: Sequence[Sequence[Transform]], allow_empty: bool = False
    ) -> None:
        if not transforms or any(not isinstance(stage, (list, tuple)) for stage in transforms):
            raise TypeError("TestTimeAug transforms must be a list of lists of transforms.")
        self.transforms = [[_build(t) for t in stage] for stage in transforms]
        self.allow_empty = allow_empty
        self._chains = [Compose(list(chain)) for chain in product(*self.transforms)]

    def transform(self, results: dict) -> dict:
        outputs = []
        for chain in self._chains:
            out = chain(copy.deepcopy(results))
            if out is None:
                if not self.allow_empty:
                    raise ValueError(f"TestTimeAug: a combination returned None: {chain!r}")
                continue
            outputs.append(out)
        if not outputs:
            return {}
        return {key: [o[key] for o in outputs] for key in outputs[0]}
