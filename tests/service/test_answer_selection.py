"""Sentence selection on the real report index: distinct passages, context, verbatim quotes."""

from __future__ import annotations

import pytest

from index.store import HybridIndex
from service.answer import PASSAGES_PER_ANSWER, leans_back, merge_adjacent, select_sentences
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


@pytest.mark.parametrize(
    "question",
    [
        QUESTION,
        "Waarom werden de Apache-helikopters in Mali ingezet?",
        "Wat was de rol van de civiele adviseurs in Gao?",
    ],
)
def test_the_lead_sentence_brings_its_neighbour(
    report_index: HybridIndex, scorer: EvidenceScorer, question: str
) -> None:
    hits = report_index.search(question, k=5)
    scored = scorer.score_hits(
        hits, report_index.embed_query(question), scorer.query_terms(question)
    )
    chosen = select_sentences(scored, max_sentences=4)
    lead = scored[0]
    in_passage = len(report_index.sentences(lead.passage.passage_id))
    same = sorted(s.position for s in chosen if s.passage.passage_id == lead.passage.passage_id)
    assert len(same) == min(2, in_passage)
    if in_passage > 1:
        assert lead.position in same and same[1] - same[0] == 1


def test_one_sentence_answers_stay_one_sentence(
    report_index: HybridIndex, scorer: EvidenceScorer
) -> None:
    hits = report_index.search(QUESTION, k=5)
    scored = scorer.score_hits(
        hits, report_index.embed_query(QUESTION), scorer.query_terms(QUESTION)
    )
    (only,) = select_sentences(scored, max_sentences=1)
    assert only is scored[0]


def test_adjacent_sentences_of_a_passage_share_one_verbatim_citation(
    report_index: HybridIndex, scorer: EvidenceScorer
) -> None:
    hits = report_index.search(QUESTION, k=5)
    scored = scorer.score_hits(
        hits, report_index.embed_query(QUESTION), scorer.query_terms(QUESTION)
    )
    passage_id = next(
        s.passage.passage_id
        for s in scored
        if len(report_index.sentences(s.passage.passage_id)) > 2
    )
    first, second, third = sorted(
        (s for s in scored if s.passage.passage_id == passage_id), key=lambda s: s.position
    )[:3]
    merged = merge_adjacent([first, second])
    assert len(merged) == 1
    display, passage, quote = merged[0]
    assert quote == display and quote in passage.text
    assert quote.startswith(first.sentence.text) and quote.endswith(second.sentence.text)
    assert len(merge_adjacent([first, third])) == 2  # not adjacent: two citations
