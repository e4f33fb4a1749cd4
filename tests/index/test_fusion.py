"""Fusion functions: pure, sorted, deterministic."""

from __future__ import annotations

from index import fusion


def test_minmax_and_zscore() -> None:
    assert fusion.minmax({1: 2.0, 2: 4.0, 3: 3.0}) == {1: 0.0, 2: 1.0, 3: 0.5}
    assert fusion.minmax({1: 5.0, 2: 5.0}) == {1: 0.0, 2: 0.0}
    z = fusion.zscore({1: 1.0, 2: 3.0})
    assert z == {1: -1.0, 2: 1.0}
    assert fusion.minmax({}) == {} and fusion.zscore({}) == {}


def test_weighted_sum_sorted_with_ties_by_id() -> None:
    ranked = fusion.weighted_sum([{1: 1.0, 2: 0.0}, {2: 1.0, 3: 0.5}], [0.5, 0.5])
    assert ranked == [(1, 0.5), (2, 0.5), (3, 0.25)]


def test_rrf_rewards_agreement() -> None:
    ranked = fusion.rrf([[1, 2, 3], [2, 1, 4]], [1.0, 1.0], k=60)
    assert [i for i, _ in ranked][:2] in ([1, 2], [2, 1])
    assert ranked[-1][0] in (3, 4)
    weighted = fusion.rrf([[1, 2], [2, 1]], [1.0, 0.1], k=1)
    assert weighted[0][0] == 1


def test_weighted_minmax_normalises_signals_and_weights() -> None:
    signals = {"a": {1: 10.0, 2: 0.0}, "b": {1: 0.0, 2: 0.5}, "c": {1: 9.0, 2: 1.0}}
    ranked = fusion.weighted_minmax(signals, {"a": 3.0, "b": 1.0, "c": 0.0, "missing": 1.0})
    assert ranked == [(1, 0.75), (2, 0.25)]  # c (weight 0) and missing are ignored
    assert fusion.weighted_minmax(signals, {"c": 0.0}) == []
