"""HybridIndex.explain: per-signal ranks and shared terms of one passage for one query."""

from __future__ import annotations

import numpy as np

from index.hybrid import HybridIndex


def test_explain_matches_the_bm25_ranking(small_index: HybridIndex) -> None:
    query = "helikopters Apaches Chinooks"
    top = small_index.search(query, k=1, mode="bm25")[0].passage.passage_id
    explained = small_index.explain(query, top)
    assert explained is not None
    assert explained.passage_id == top
    assert explained.bm25_rank == 1
    assert explained.fused_rank is not None and explained.fused_rank <= 3
    assert set(explained.shared_terms) <= set(small_index.analyze(query))
    assert explained.shared_terms


def test_explain_ranks_agree_with_the_signals(small_index: HybridIndex) -> None:
    query = "Wat deed ASIFU?"
    signals = small_index.signal_scores(query)
    for position, passage in enumerate(small_index.passages):
        explained = small_index.explain(query, passage.passage_id)
        assert explained is not None
        assert explained.dense_rank == 1 + int(np.sum(signals.dense > signals.dense[position]))
        assert explained.bm25_rank == 1 + int(np.sum(signals.bm25 > signals.bm25[position]))


def test_explain_reports_a_vocabulary_mismatch(small_index: HybridIndex) -> None:
    explained = small_index.explain("helikopters Apaches Chinooks", "0-p5")
    assert explained is not None
    assert explained.shared_terms == ()
    assert explained.bm25_rank > 1


def test_explain_returns_none_for_unknown_ids_and_empty_queries(small_index: HybridIndex) -> None:
    assert small_index.explain("helikopters", "no-such-passage") is None
    assert small_index.explain("  ?! de het ", "0-p5") is None
