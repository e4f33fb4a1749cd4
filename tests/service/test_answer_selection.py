"""Sentence selection on the real report index: distinct passages, context, verbatim quotes."""

from __future__ import annotations

import pytest

from index.store import HybridIndex
from service.answer import PASSAGES_PER_ANSWER, leans_back, select_sentences
from service.evidence import EvidenceScorer

QUESTION = "Waarom was de inlichtingenbijdrage van Nederland aan MINUSMA beperkt nuttig?"


@pytest.fixture(scope="module")
def scorer(report_index: HybridIndex) -> EvidenceScorer:
    return EvidenceScorer(report_index)


def test_back_referring_or_short_sentences_lean_back() -> None:
    assert leans_back("Daardoor kon de missie niet veel doen aan het beschermen van burgers.")
    assert leans_back("Dit was niet altijd succesvol.")
    assert not leans_back(
        "De Nederlandse militaire bijdrage bestond uit een inlichtingeneenheid in Gao en "
        "een helikopterdetachement."
    )


def test_selection_covers_distinct_passages_best_first(
    report_index: HybridIndex, scorer: EvidenceScorer
) -> None:
    hits = report_index.search(QUESTION, k=5)
    terms = scorer.query_terms(QUESTION)
    scored = scorer.score_hits(hits, report_index.embed_query(QUESTION), terms)
    chosen = select_sentences(scored, max_sentences=4)
    assert 1 <= len(chosen) <= 4
    passages = list(dict.fromkeys(s.passage.passage_id for s in chosen))
    assert passages[0] == scored[0].passage.passage_id  # the best sentence's passage leads
    assert 2 <= len(passages) <= PASSAGES_PER_ANSWER
    keys = [(s.passage.passage_id, s.sentence.start) for s in chosen]
    assert (scored[0].passage.passage_id, scored[0].sentence.start) in keys
    assert len(set(keys)) == len(keys)  # no sentence twice
    for s in chosen:
        assert s.passage.text[s.sentence.start : s.sentence.end] == s.sentence.text


def test_the_lead_sentence_brings_its_neighbour(
    report_index: HybridIndex, scorer: EvidenceScorer
) -> None:
    hits = report_index.search(QUESTION, k=5)
    scored = scorer.score_hits(
        hits, report_index.embed_query(QUESTION), scorer.query_terms(QUESTION)
    )
    chosen = select_sentences(scored, max_sentences=4)
    lead = scored[0]
    same = [s.position for s in chosen if s.passage.passage_id == lead.passage.passage_id]
    assert len(same) == 2 and abs(same[0] - same[1]) == 1


def test_one_sentence_answers_stay_one_sentence(
    report_index: HybridIndex, scorer: EvidenceScorer
) -> None:
    hits = report_index.search(QUESTION, k=5)
    scored = scorer.score_hits(
        hits, report_index.embed_query(QUESTION), scorer.query_terms(QUESTION)
    )
    (only,) = select_sentences(scored, max_sentences=1)
    assert only is scored[0]
