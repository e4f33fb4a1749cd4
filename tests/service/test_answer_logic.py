"""Language detection, follow-up handling and SSE framing (no index needed)."""

from __future__ import annotations

from service.answer import detect_language, is_follow_up, retrieval_query
from service.routes.ask import answer_pieces, sse_event


def test_language_is_detected_from_function_words() -> None:
    assert detect_language("Waarom was de inzet van de helikopters zo duur?") == "nl"
    assert detect_language("Why was the deployment of the helicopters so expensive?") == "en"
    assert detect_language("MINUSMA") == "nl"  # no evidence: the report's language


def test_short_or_anaphoric_questions_are_follow_ups() -> None:
    assert is_follow_up("En waarom?", content_terms=0)
    assert is_follow_up("Wat was de oorzaak daarvan?", content_terms=1)
    assert not is_follow_up(
        "Welke rol speelde de inlichtingeneenheid ASIFU binnen MINUSMA in Gao?", content_terms=5
    )


def test_follow_ups_are_retrieved_with_the_previous_question() -> None:
    history = ["Was de inlichtingenbijdrage nuttig voor MINUSMA?"]
    assert retrieval_query("En waarom?", history, content_terms=0) == (
        "Was de inlichtingenbijdrage nuttig voor MINUSMA? En waarom?"
    )
    assert retrieval_query("En waarom?", [], content_terms=0) == "En waarom?"


def test_answer_pieces_rebuild_the_answer() -> None:
    answer = "Eerste zin. [1] Tweede zin, met [x]. [2] Derde. [3]"
    pieces = answer_pieces(answer)
    assert len(pieces) == 3
    assert "".join(pieces) == answer
    assert answer_pieces("") == []


def test_sse_events_are_framed() -> None:
    assert sse_event("delta", "tekst [1]") == "event: delta\ndata: tekst [1]\n\n"
    assert sse_event("final", "a\nb") == "event: final\ndata: a\ndata: b\n\n"
