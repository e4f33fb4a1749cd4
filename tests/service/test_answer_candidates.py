"""Extra candidate passages for questions that ask for conclusions, on the real report index:
the cues, the conclusions sections, signposts; the recommendation cue the claim lookup uses."""

from __future__ import annotations

import pytest

from index.hybrid import HybridIndex
from service.answer import Answerer
from service.evidence import EvidenceScorer, speaks_of_recommendations
from service.selection import (
    SIGNPOST_PENALTY,
    asks_summary,
    chapters_named,
    is_conclusion,
    is_signpost,
)


@pytest.fixture(scope="module")
def answerer(report_index: HybridIndex) -> Answerer:
    return Answerer(report_index, EvidenceScorer(report_index), abstain_threshold=0.0)


def test_summary_questions_are_recognised() -> None:
    assert asks_summary("Wat concludeert het rapport over de politiebijdrage?")
    assert asks_summary("Vat de bevindingen over de helikopters samen.")
    assert asks_summary("Wat waren in het kort de resultaten?")
    assert asks_summary("Summarise the findings on the civilian contribution.")
    assert not asks_summary("Waarom werden de helikopters teruggetrokken?")


def test_claims_about_recommendations_are_recognised() -> None:
    assert speaks_of_recommendations("IOB beveelt een langere rotatietijd aan.")
    assert speaks_of_recommendations("het rapport adviseert heldere afspraken")
    assert speaks_of_recommendations("The report recommends clearer goals.")
    assert not speaks_of_recommendations("De Raad van State gaf advies over de missie.")


def test_named_chapters_and_signposts_are_recognised() -> None:
    assert chapters_named("Wat concludeert hoofdstuk 7 over het narratief?") == {"7"}
    assert chapters_named("Summarise chapter 3 and chapter 5.") == {"3", "5"}
    assert chapters_named("Wat concludeert het rapport?") == set()
    assert is_signpost("Dit hoofdstuk gaat in op de besluitvorming (paragraaf 3.1).")
    assert is_signpost("Het rapport sluit in hoofdstuk 8 af met de lessen.")
    assert not is_signpost("De mate waarin de doelen zijn bereikt was beperkt.")


def test_every_analysis_chapter_has_a_conclusions_section(report_index: HybridIndex) -> None:
    chapters = {p.chapter for p in report_index.passages if is_conclusion(p)}
    assert {"2", "3", "4", "5", "6", "7"} <= chapters


def test_a_summary_question_adds_the_named_chapters_conclusions(answerer: Answerer) -> None:
    question = "Vat de conclusies van hoofdstuk 3 over de doelen van de bijdrage samen."
    retrieval = answerer.retrieve(question)
    candidates = answerer.candidates_for(question, retrieval)
    conclusions = {
        p.passage_id for p in answerer.index.passages if p.chapter == "3" and is_conclusion(p)
    }
    assert conclusions
    assert conclusions <= {s.passage.passage_id for s in candidates}
    assert len(candidates) > len(retrieval.scored)
    retrieved = {(s.passage.passage_id, s.position): s.score for s in retrieval.scored}
    for s in candidates:
        before = retrieved.get((s.passage.passage_id, s.position))
        if before is not None and is_signpost(s.sentence.text):
            assert s.score == pytest.approx(before - SIGNPOST_PENALTY)
        elif before is not None:
            assert s.score == before


def test_a_summary_answer_cites_a_conclusions_section(answerer: Answerer) -> None:
    answer = answerer.answer("Wat concludeert hoofdstuk 5 over de politiebijdrage?")
    assert answer.grounded
    assert any(is_conclusion(c.passage) for c in answer.citations)
    assert all(c.quote in c.passage.text for c in answer.citations)


def test_other_questions_keep_the_retrieved_candidates(answerer: Answerer) -> None:
    question = "Waarom werden de Apache-helikopters in Mali ingezet?"
    retrieval = answerer.retrieve(question)
    assert answerer.candidates_for(question, retrieval) == retrieval.scored
