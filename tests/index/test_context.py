"""Contextual passage text: a footnote carries the passage citing it, other passages the
previous sentence of their run; checked on the real report's passages."""

from __future__ import annotations

from dataclasses import replace

from index.context import contextual_text, passage_contexts
from index.models import Sentence
from ingest.models import Passage, PassageKind


def _passage(pid: str, text: str, kind: PassageKind = PassageKind.BODY, **extra: object) -> Passage:
    fields = {"chapter": "3", "section": "3.1", "section_title": "Besluitvorming", **extra}
    return Passage(
        passage_id=pid,
        text=text,
        paragraph=1,
        page=None,
        kind=kind,
        source="r.txt",
        source_sha256="0" * 64,
        **fields,  # type: ignore[arg-type]
    )


def _sentences(passages: list[Passage]) -> list[Sentence]:
    out = []
    for p in passages:
        start = 0
        for part in p.text.split(". "):
            text = part if part.endswith(".") else part + "."
            out.append(Sentence(p.passage_id, start, start + len(text), text))
            start += len(part) + 2
    return out


def test_footnote_gets_its_citing_passage_and_body_the_previous_sentence() -> None:
    passages = [
        _passage(
            "3.1-p1", "Het kabinet besloot. De Kamer steunde dat.", note_refs=("v",)
        ),
        _passage("3.1-p2", "Echter, twee fracties waren tegen."),
        _passage("3.1-fn-v", "PVV en PvdD zijn tegen.", PassageKind.FOOTNOTE, label="v"),
        # same label in another chapter: footnote labels restart per chapter
        _passage("4.1-fn-v", "Iets anders.", PassageKind.FOOTNOTE, label="v", chapter="4"),
        _passage("4.1-p1", "Nieuwe sectie.", section="4.1", chapter="4"),
    ]
    contexts = passage_contexts(passages, _sentences(passages))
    assert contexts == ["", "De Kamer steunde dat.", passages[0].text, "", ""]
    assert contextual_text(passages[2], contexts[2]) == (
        "Besluitvorming. Het kabinet besloot. De Kamer steunde dat. "
        "PVV en PvdD zijn tegen."
    )
    assert contextual_text(passages[0], "") == "Besluitvorming. " + passages[0].text
    untitled = replace(passages[1], section_title=" ")
    assert contextual_text(untitled, "") == untitled.text


def test_a_run_breaks_at_a_change_of_kind() -> None:
    passages = [
        _passage("8-finding-2-1", "Bevinding twee: te ambitieus.", PassageKind.FINDING, label="2"),
        _passage("8-finding-2-2", "Echter, het gebied was groot.", PassageKind.FINDING, label="2"),
        _passage("8-rec-2-1", "Aanbevelingen: plan beter.", PassageKind.RECOMMENDATION),
    ]
    contexts = passage_contexts(passages, _sentences(passages))
    assert contexts == ["", "Bevinding twee: te ambitieus.", ""]


def test_every_report_footnote_but_one_is_placed_by_its_citing_passage(
    report_passages: list[Passage],
) -> None:
    """On the real report: each footnote's context is a passage whose note marks name it."""
    by_text = {p.text: p for p in report_passages}
    sentences = [
        Sentence(p.passage_id, 0, len(p.text), p.text) for p in report_passages
    ]  # one "sentence" per passage is enough to test the footnote rule
    contexts = passage_contexts(report_passages, sentences)
    footnotes = [
        (p, c) for p, c in zip(report_passages, contexts, strict=True) if p.kind == "footnote"
    ]
    placed = [(p, by_text[c]) for p, c in footnotes if c]
    assert len(footnotes) >= 100 and len(placed) >= len(footnotes) - 1
    assert all(p.label in cited.note_refs and cited.chapter == p.chapter for p, cited in placed)
