"""Sentence selection on the real report index: ranking for the question, what may stand in
an answer, distinct passages, context, verbatim quotes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from index.hybrid import HybridIndex
from service import coverage
from service.answer import Answerer, Retrieval, merge_adjacent
from service.evidence import EvidenceScorer, ScoredSentence
from service.question import AnswerType, constraints_of
from service.selection import (
    ANSWER_TYPE_BONUS,
    CLOSE_SCORE,
    EXTRA_SENTENCES,
    SIMILARITY_WEIGHT,
    announces,
    asks_why,
    can_answer,
    gives_reason,
    is_source_reference,
    rank_for_question,
    relative_similarity,
    select_sentences,
    sentence_budget,
)

QUESTION = "Waarom was de inlichtingenbijdrage van Nederland aan MINUSMA beperkt nuttig?"


@pytest.fixture(scope="module")
def scorer(report_index: HybridIndex) -> EvidenceScorer:
    return EvidenceScorer(report_index)


def _scored(index: HybridIndex, scorer: EvidenceScorer, question: str) -> list[ScoredSentence]:
    hits = index.search(question, k=5)
    return scorer.score_hits(hits, index.embed_query(question), scorer.query_terms(question))


def _lead(scored: list[ScoredSentence]) -> ScoredSentence:
    return next(s for s in scored if can_answer(s.sentence.text))


def test_bare_source_references_are_recognised() -> None:
    assert is_source_reference("Interview medewerker ministerie van Buitenlandse Zaken.")
    assert is_source_reference("Intern document ministerie van Financiën.")
    assert is_source_reference("Reuters (6 oktober 2020), Leaders lift sanctions on a country.")
    assert is_source_reference("Zie Rekenkamer (2018), Inzet van materieel, p. 12.")
    assert not is_source_reference(
        "Uit interviews met medewerkers bleek dat de eenheid weinig steun kreeg van de staf."
    )
    assert not is_source_reference("De missie werd in 2013 opgericht door de Veiligheidsraad.")


def test_questions_and_references_cannot_answer() -> None:
    assert can_answer("De missie werd in 2013 opgericht door de Veiligheidsraad.")
    assert not can_answer("Wat ging er goed en wat minder goed in de missie?")
    assert not can_answer("Interviews medewerkers ministerie van Defensie.")


def test_reasons_and_announcements_are_recognised() -> None:
    assert asks_why("Waarom werd de bijdrage verlengd?") and asks_why("Why was it extended?")
    assert not asks_why("Wanneer werd de bijdrage verlengd?")
    assert gives_reason("De bijdrage werd verlengd omdat de missie nog niet klaar was.")
    assert not gives_reason("De bijdrage werd in 2015 verlengd.")
    assert announces("De voornaamste redenen hiervoor zijn:")
    assert not announces("De redenen zijn niet bekend.")


def test_a_why_question_ranks_reasons_higher(
    report_index: HybridIndex, scorer: EvidenceScorer
) -> None:
    scored = _scored(report_index, scorer, QUESTION)
    constraints = constraints_of(QUESTION, scorer=scorer)
    ranked = rank_for_question(QUESTION, scored, constraints=constraints)
    similarity = {_key(s): sim for s, sim in zip(scored, relative_similarity(scored), strict=True)}
    before = {_key(s): s.score + SIMILARITY_WEIGHT * similarity[_key(s)] for s in scored}
    reasons = 0
    for s in ranked:
        bonus = ANSWER_TYPE_BONUS if gives_reason(s.sentence.text) else 0.0
        reasons += bonus > 0
        assert s.score == pytest.approx(before[_key(s)] + bonus)
    assert reasons > 0
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)


def test_a_count_question_ranks_sentences_with_a_count_higher(
    report_index: HybridIndex, scorer: EvidenceScorer
) -> None:
    question = "Hoeveel militairen telde de verkenningscompagnie in Gao?"
    scored = _scored(report_index, scorer, question)
    constraints = constraints_of(question, scorer=scorer)
    assert constraints.answer_type is AnswerType.COUNT
    ranked = rank_for_question(question, scored, constraints=constraints)
    similarity = {_key(s): sim for s, sim in zip(scored, relative_similarity(scored), strict=True)}
    raised = [
        s
        for s, r in zip(sorted(scored, key=_key), sorted(ranked, key=_key), strict=True)
        if r.score > s.score + SIMILARITY_WEIGHT * similarity[_key(s)] + 1e-9
    ]
    assert raised
    for s in raised:
        assert coverage.satisfies(s.sentence.text, set(s.terms), s.passage.text, constraints)


def _key(s: ScoredSentence) -> tuple[str, int]:
    return s.passage.passage_id, s.position


def test_selection_leads_with_the_best_sentence_once(
    report_index: HybridIndex, scorer: EvidenceScorer
) -> None:
    scored = _scored(report_index, scorer, QUESTION)
    chosen = select_sentences(scored, max_sentences=4)
    assert 1 <= len(chosen) <= 4
    lead = _lead(scored)
    passages = list(dict.fromkeys(s.passage.passage_id for s in chosen))
    assert passages[0] == lead.passage.passage_id  # the best sentence's passage leads
    keys = [(s.passage.passage_id, s.sentence.start) for s in chosen]
    assert (lead.passage.passage_id, lead.sentence.start) in keys
    assert len(set(keys)) == len(keys)  # no sentence twice
    for s in chosen:
        assert can_answer(s.sentence.text)
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
    scored = _scored(report_index, scorer, question)
    chosen = select_sentences(scored, max_sentences=4)
    lead = _lead(scored)
    assert not announces(lead.sentence.text)
    in_passage = len(report_index.sentences(lead.passage.passage_id))
    same = sorted(s.position for s in chosen if s.passage.passage_id == lead.passage.passage_id)
    assert len(same) >= min(2, in_passage)
    if in_passage > 1:
        assert lead.position in same and same[1] - same[0] == 1


def test_close_candidates_lengthen_the_answer_and_a_dominant_lead_does_not(
    report_index: HybridIndex, scorer: EvidenceScorer
) -> None:
    scored = _scored(report_index, scorer, QUESTION)
    constraints = constraints_of(QUESTION, scorer=scorer)
    assert len(scored) > 4 + EXTRA_SENTENCES
    lead, *rest = scored
    dominant = [lead, *(replace(s, score=lead.score - 2 * CLOSE_SCORE) for s in rest)]
    close = [lead, *(replace(s, score=lead.score - CLOSE_SCORE / 2) for s in rest)]
    assert sentence_budget(dominant, base=4) == 4
    assert sentence_budget(close, base=4) == 4 + EXTRA_SENTENCES
    assert sentence_budget([], base=3) == 3
    ranked = rank_for_question(QUESTION, scored, constraints=constraints)
    assert 4 <= sentence_budget(ranked, base=4) <= 4 + EXTRA_SENTENCES
    lengthened = select_sentences(close, max_sentences=sentence_budget(close, base=4))
    assert len(lengthened) == 4 + EXTRA_SENTENCES


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_the_sentence_setting_caps_the_answer(
    report_index: HybridIndex, scorer: EvidenceScorer, limit: int
) -> None:
    """answer_max_sentences is a maximum: the close-candidates budget never goes past it."""
    answerer = Answerer(report_index, scorer, abstain_threshold=0.0, max_sentences=limit)
    retrieval = answerer.retrieve(QUESTION, top_k=5)
    close = [replace(s, score=1.0) for s in retrieval.scored]  # every candidate close
    assert len(close) > limit
    chosen = answerer.choose(QUESTION, replace(retrieval, scored=close))
    assert 1 <= len(chosen) <= limit


def test_one_sentence_answers_stay_one_sentence(
    report_index: HybridIndex, scorer: EvidenceScorer
) -> None:
    scored = _scored(report_index, scorer, QUESTION)
    (only,) = select_sentences(scored, max_sentences=1)
    assert only is _lead(scored)


def test_a_sentence_that_announces_brings_the_next_passage_when_it_ends_its_own(
    report_index: HybridIndex, scorer: EvidenceScorer
) -> None:
    passage, announcing = next(
        (p, sentences[-1])
        for p in report_index.passages
        if (sentences := report_index.sentences(p.passage_id))
        and announces(sentences[-1].text)
        and can_answer(sentences[-1].text)
        and report_index.neighbours(p.passage_id)[1] is not None
    )
    vector = report_index.embed_query(announcing.text)
    terms = scorer.query_terms(announcing.text)
    own = scorer.score_passage(passage, 1, vector, terms)
    lead = own[-1]
    constraints = constraints_of(announcing.text, scorer=scorer)
    retrieval = Retrieval(announcing.text, [], vector, terms, [lead], 1.0, constraints)
    answerer = Answerer(report_index, scorer, abstain_threshold=0.0)
    chosen = select_sentences(
        [lead], max_sentences=4, follow=lambda s: answerer.first_of_next_passage(s, retrieval)
    )
    next_id = report_index.neighbours(passage.passage_id)[1]
    assert [s.passage.passage_id for s in chosen] == [passage.passage_id, next_id]
    assert chosen[1].position == 0
    assert chosen[1].sentence == report_index.sentences(next_id)[0]
    # without a way to the next passage, the announcing sentence stands alone
    assert select_sentences([lead], max_sentences=4) == [lead]


def test_adjacent_sentences_of_a_passage_share_one_verbatim_citation(
    report_index: HybridIndex, scorer: EvidenceScorer
) -> None:
    scored = _scored(report_index, scorer, QUESTION)
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
