"""Fusion of ranked lists: small pure functions over {id: score}, returning sorted (id, score)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Ranked = list[tuple[int, float]]


def ranked(scores: Mapping[int, float]) -> Ranked:
    """(id, score) pairs, best first; ties by id so results are deterministic."""
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def minmax(scores: Mapping[int, float]) -> dict[int, float]:
    """Scores rescaled to [0, 1] over the given ids (all 0 when they are equal)."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    span = high - low
    return {i: (s - low) / span if span > 0 else 0.0 for i, s in scores.items()}


def zscore(scores: Mapping[int, float]) -> dict[int, float]:
    """Scores standardised over the given ids (mean 0, sd 1; all 0 when they are equal)."""
    if not scores:
        return {}
    mean = sum(scores.values()) / len(scores)
    sd = math.sqrt(sum((s - mean) ** 2 for s in scores.values()) / len(scores))
    return {i: (s - mean) / sd if sd > 0 else 0.0 for i, s in scores.items()}


def weighted_sum(signals: Sequence[Mapping[int, float]], weights: Sequence[float]) -> Ranked:
    """Sum of weighted scores per id (an id missing from a signal scores 0 there)."""
    total: dict[int, float] = {}
    for signal, weight in zip(signals, weights, strict=True):
        for i, s in signal.items():
            total[i] = total.get(i, 0.0) + weight * s
    return ranked(total)


def rrf(rankings: Sequence[Sequence[int]], weights: Sequence[float], *, k: int = 60) -> Ranked:
    """Weighted reciprocal rank fusion (Cormack et al., 2009): sum of w / (k + rank)."""
    total: dict[int, float] = {}
    for ids, weight in zip(rankings, weights, strict=True):
        for rank, i in enumerate(ids, start=1):
            total[i] = total.get(i, 0.0) + weight / (k + rank)
    return ranked(total)


def weighted_minmax(
    signals: Mapping[str, Mapping[int, float]], weights: Mapping[str, float]
) -> Ranked:
    """Sum over named signals of weight x min-max-normalised score (weights sum to 1).

    Signals without a weight (or with weight 0) are ignored; an id a signal lacks scores
    0 there.
    """
    used = {name: w for name, w in weights.items() if w > 0 and name in signals}
    total = sum(used.values())
    if total <= 0:
        return []
    return weighted_sum(
        [minmax(signals[name]) for name in used], [w / total for w in used.values()]
    )
