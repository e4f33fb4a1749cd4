"""Pure metric functions: ranking quality, abstention, percentiles. No I/O, no service.

A ranking is given as `relevant`, one bool per retrieved item in rank order (rank 1 first),
plus, where a metric needs the ideal ranking, `n_relevant`: how many items in the whole
corpus are relevant. `success_at_k` (hit@k: any relevant item in the top k) is what the
index issue's "right passage in the top 5" means. Evidence coverage
(`evidence_recall_at_k`) takes, per retrieved item, the set of gold evidence indices the
item contains, and measures the share of evidence strings found.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def success_at_k(relevant: Sequence[bool], k: int) -> float:
    """success@k (also called hit@k): 1.0 when any of the first k items is relevant."""
    return 1.0 if any(relevant[:k]) else 0.0


def evidence_recall_at_k(covered: Sequence[frozenset[int]], n_evidence: int, k: int) -> float:
    """evidence_recall@k: share of the gold evidence strings found in the first k items.

    Indices `>= n_evidence` (alternate passages, the gold's `also`) are ignored: they make a
    passage relevant but are not evidence that must all be found.

    Args:
        covered: per retrieved item, the indices of the evidence strings it contains.
        n_evidence: how many evidence strings the question has (> 0).
        k: cut-off.
    """
    if n_evidence <= 0:
        raise ValueError("recall needs at least one evidence string")
    found: set[int] = set().union(*covered[:k]) if covered[:k] else set()
    return len(found & set(range(n_evidence))) / n_evidence


def reciprocal_rank(relevant: Sequence[bool], k: int = 10) -> float:
    """1 / rank of the first relevant item within the first k, else 0.0 (MRR@k per query)."""
    for rank, is_relevant in enumerate(relevant[:k], start=1):
        if is_relevant:
            return 1.0 / rank
    return 0.0


def dcg_at_k(relevant: Sequence[bool], k: int) -> float:
    """Discounted cumulative gain with binary gains: sum of 1/log2(rank + 1)."""
    return sum(1.0 / math.log2(rank + 1) for rank, r in enumerate(relevant[:k], start=1) if r)


def ndcg_at_k(relevant: Sequence[bool], n_relevant: int, k: int = 10) -> float:
    """nDCG@k; the ideal ranking puts min(n_relevant, k) relevant items first.

    `n_relevant` counts relevant items in the whole corpus, not just among those retrieved,
    so a ranking that misses relevant items is penalised. Raises if it is smaller than the
    number of relevant items retrieved (the caller's corpus count would be wrong).
    """
    retrieved = sum(bool(r) for r in relevant[:k])
    if n_relevant < retrieved:
        raise ValueError(f"n_relevant={n_relevant} < relevant items retrieved={retrieved}")
    if n_relevant == 0:
        return 0.0
    ideal = dcg_at_k([True] * min(n_relevant, k), k)
    return dcg_at_k(relevant, k) / ideal


def mean(values: Iterable[float]) -> float | None:
    """Arithmetic mean, or None for no values (a group without members has no score)."""
    items = list(values)
    return sum(items) / len(items) if items else None


def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float]:
    """Precision and recall of abstaining as the detector of unanswerable questions.

    Returns `precision` (of all abstentions, the share on unanswerable questions),
    `recall` (of unanswerable questions, the share abstained on) and `false_rate` (of
    answerable questions, the share abstained on). An empty denominator gives 1.0 for
    precision and recall (nothing to get wrong) and 0.0 for the false rate.
    """
    if len(abstained) != len(answerable):
        raise ValueError("abstained and answerable must have the same length")
    pairs = list(zip(abstained, answerable, strict=True))
    true_pos = sum(a and not ans for a, ans in pairs)
    n_abstained = sum(a for a, _ in pairs)
    n_unanswerable = sum(not ans for _, ans in pairs)
    n_answerable = len(pairs) - n_unanswerable
    false_pos = n_abstained - true_pos
    return {
        "precision": true_pos / n_abstained if n_abstained else 1.0,
        "recall": true_pos / n_unanswerable if n_unanswerable else 1.0,
        "false_rate": false_pos / n_answerable if n_answerable else 0.0,
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks.

    Same definition as numpy's default: position (n - 1) * q / 100 in the sorted values.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be within 0..100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
