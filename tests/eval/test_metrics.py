"""Metric functions against hand-computed cases."""

from __future__ import annotations

import math

import pytest

from eval.metrics import (
    abstention_scores,
    dcg_at_k,
    evidence_recall_at_k,
    mean,
    ndcg_at_k,
    percentile,
    reciprocal_rank,
    success_at_k,
)

F, T = False, True


def test_success_at_k() -> None:
    assert success_at_k([F, T, F], 1) == 0.0
    assert success_at_k([F, T, F], 2) == 1.0
    assert success_at_k([], 5) == 0.0


def test_recall_counts_distinct_evidence_strings() -> None:
    covered = [frozenset(), frozenset({0}), frozenset({0}), frozenset({2})]
    assert evidence_recall_at_k(covered, 3, 1) == 0.0
    assert evidence_recall_at_k(covered, 3, 3) == pytest.approx(1 / 3)  # 0 twice counts once
    assert evidence_recall_at_k(covered, 3, 4) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        evidence_recall_at_k(covered, 0, 3)


def test_evidence_recall_ignores_alternates() -> None:
    # index 1 is an `also` string of a question with one evidence string
    covered = [frozenset({1}), frozenset({0, 1})]
    assert evidence_recall_at_k(covered, 1, 1) == 0.0
    assert evidence_recall_at_k(covered, 1, 2) == 1.0


def test_reciprocal_rank_within_cutoff() -> None:
    assert reciprocal_rank([F, F, T]) == pytest.approx(1 / 3)
    assert reciprocal_rank([T, T]) == 1.0
    assert reciprocal_rank([F] * 10 + [T], k=10) == 0.0


def test_ndcg_hand_computed() -> None:
    # relevant at ranks 2 and 3; 2 relevant in the corpus:
    # DCG = 1/log2(3) + 1/log2(4) = 0.63093 + 0.5; IDCG = 1 + 1/log2(3) = 1.63093
    dcg = 1 / math.log2(3) + 0.5
    assert dcg_at_k([F, T, T], 10) == pytest.approx(dcg)
    assert ndcg_at_k([F, T, T], 2) == pytest.approx(dcg / (1 + 1 / math.log2(3)))
    assert ndcg_at_k([T, T], 2) == pytest.approx(1.0)


def test_ndcg_ideal_counts_relevant_items_not_retrieved() -> None:
    # one relevant retrieved at rank 1 but three exist: IDCG = 1 + 0.63093 + 0.5
    assert ndcg_at_k([T, F], 3) == pytest.approx(1 / (1 + 1 / math.log2(3) + 0.5))
    # the ideal is cut at k: 20 relevant, all of the first 2 retrieved relevant -> 1.0 at k=2
    assert ndcg_at_k([T, T], 20, k=2) == pytest.approx(1.0)
    assert ndcg_at_k([F, F], 0) == 0.0
    with pytest.raises(ValueError):
        ndcg_at_k([T, T], 1)


def test_abstention_scores() -> None:
    # 4 answerable, 2 unanswerable; abstained on one unanswerable and one answerable
    abstained = [T, F, F, F, T, F]
    answerable = [T, T, T, T, F, F]
    scores = abstention_scores(abstained, answerable)
    assert scores == {"precision": 0.5, "recall": 0.5, "false_rate": 0.25}
    assert abstention_scores([], []) == {"precision": 1.0, "recall": 1.0, "false_rate": 0.0}
    with pytest.raises(ValueError):
        abstention_scores([T], [])


def test_percentile_linear_interpolation() -> None:
    values = [40.0, 10.0, 30.0, 20.0]
    assert percentile(values, 50) == pytest.approx(25.0)  # position 1.5 in 10,20,30,40
    assert percentile(values, 95) == pytest.approx(38.5)  # position 2.85
    assert percentile(values, 0) == 10.0 and percentile(values, 100) == 40.0
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_mean_of_nothing_is_none() -> None:
    assert mean([]) is None
    assert mean([1.0, 2.0]) == 1.5
