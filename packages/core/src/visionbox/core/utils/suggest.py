"""Close-match suggestions for user-facing errors ("did you mean ...")."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["suggest", "did_you_mean"]


def suggest(name: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Return up to ``n`` candidates closest to ``name``, case-insensitively."""
    candidates = sorted(set(candidates))
    lowered = {c.lower(): c for c in candidates}
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=cutoff)
    return [lowered[m] for m in matches]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest candidate, or an empty string."""
    matches = suggest(name, candidates)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"
