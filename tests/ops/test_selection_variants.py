"""bench/selection_variants.py: the fused-score passage prior, the report-scaled cosine, the
passage quota and the evidence-by-rank table, on hand-made passages and hits."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from selection_variants import (  # noqa: E402
    Variant,
    describe,
    evidence_by_rank,
    passage_prior,
    reprioritised,
    with_quota,
    with_report_similarity,
)

from index.models import Hit, Sentence  # noqa: E402
from ingest.models import Passage, PassageKind  # noqa: E402
from service.evidence import RANK_PRIOR_WEIGHT, Z_SPAN, ScoredSentence  # noqa: E402


def _passage(pid: str) -> Passage:
    return Passage(pid, f"Zin van {pid}.", "1", "1.1", "Titel", 1, "1", PassageKind.BODY, "r", "x")


def _hit(pid: str, rank: int, score: float) -> Hit:
    return Hit(_passage(pid), score, rank, None, None)


def _sentence(
    pid: str, rank: int, position: int, score: float, *, text: str = "Een zin."
) -> ScoredSentence:
    sentence = Sentence(pid, 0, len(text), text)
    return ScoredSentence(
        _passage(pid), sentence, 0.8, 0.0, score, rank, position, np.zeros(2), frozenset()
    )


HITS = [_hit("a", 1, 2.0), _hit("b", 2, 1.9), _hit("c", 3, 1.0)]


def test_fused_priors_rank_by_score_not_position() -> None:
    ratio = passage_prior("ratio", HITS)
    assert ratio(2.0) == 1.0 and ratio(1.9) == pytest.approx(0.95)
    minmax = passage_prior("minmax", HITS)
    assert minmax(2.0) == 1.0 and minmax(1.0) == 0.0
    z = passage_prior("z", HITS)
    assert z(2.0) > z(1.9) > 0 > z(1.0)
    with pytest.raises(ValueError, match="unknown prior"):
        passage_prior("rank", HITS)


def test_reprioritised_replaces_the_reciprocal_rank() -> None:
    second = _sentence("b", 2, 0, RANK_PRIOR_WEIGHT / 2 + 0.3)
    unretrieved = _sentence("z", 1, 0, RANK_PRIOR_WEIGHT + 0.1)  # a summary's conclusions
    out = reprioritised([second, unretrieved], HITS, kind="ratio", weight=0.2)
    # two hits the retriever can barely tell apart get nearly the same prior
    assert out[0].score == pytest.approx(0.3 + 0.2 * 0.95)
    assert out[1].score == pytest.approx(0.1 + 0.2)  # counted as the top hit


def test_report_similarity_is_the_cut_z_score() -> None:
    s = _sentence("a", 1, 0, 0.0)  # cosine 0.8
    near = with_report_similarity([s], mean=0.7, spread=0.01, weight=0.5)
    assert near[0].score == pytest.approx(0.5 * min(10 / Z_SPAN, 1.0))
    far = with_report_similarity([s], mean=0.9, spread=0.01, weight=0.5)
    assert far[0].score == 0.0


def test_quota_moves_each_passages_best_sentence_ahead() -> None:
    a0, a1, a2 = (_sentence("a", 1, i, 0.9 - i / 100) for i in range(3))
    b0, c0 = _sentence("b", 2, 0, 0.5), _sentence("c", 3, 0, 0.4)
    ranked = [a0, a1, a2, b0, c0]
    assert with_quota(ranked, HITS, quota=2, by="score") == [a0, b0, a1, a2, c0]
    assert with_quota(ranked, HITS, quota=3, by="rank") == [a0, b0, c0, a1, a2]
    assert with_quota(ranked, HITS, quota=0.9, by="fused") == [a0, b0, a1, a2, c0]
    # a sentence that cannot answer does not take its passage's place in the quota
    question = _sentence("b", 2, 0, 0.5, text="Wat ging er goed?")
    b1 = _sentence("b", 2, 1, 0.45)
    assert with_quota([a0, a1, question, b1], HITS, quota=2, by="score") == [a0, b1, a1, question]


def test_evidence_by_rank_counts_held_answers_per_first_relevant_rank() -> None:
    table = evidence_by_rank([1, 1, 2, 0, 5], [True, False, True, False, True])
    assert table == "1: 1/2  2: 1/1  3: 0/0  4: 0/0  5: 1/1  >5: 0/1"


def test_describe_names_what_differs_from_the_shipped_rule() -> None:
    assert describe(Variant()) == "shipped"
    assert describe(Variant(prior="ratio", prior_weight=0.5)) == "prior=ratio, prior_weight=0.5"
