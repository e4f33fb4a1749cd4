"""End to end on the full shipped report: the numbers issue 2 asks for."""

from __future__ import annotations

import re
import statistics

from ingest import quality
from ingest.chunking import MODEL_WINDOW, token_counter
from ingest.models import Passage, PassageKind, SourceLine
from ingest.pipeline import ingest_sources
from service.settings import DEFAULT_SOURCE
from tests.ingest.conftest import INGEST_CONFIG

# A strict, independent reading of the § headings: a line that starts with a 2- or
# 3-level number and a capitalised title, excluding chapter 8's numbered findings.
_HEADING = re.compile(r"^\s?(\d\.\d(?:\.\d)?)\s{1,2}([A-Z][^:]*?)\s*$")


def expected_headings(lines: list[SourceLine]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        match = _HEADING.match(line.text)
        if match and "evinding" not in line.text and len(match.group(2)) < 90:
            found.setdefault(match.group(1), match.group(2))
    return found


def letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalpha())


def test_chapters_0_to_8(report_passages: list[Passage]) -> None:
    assert sorted({p.chapter for p in report_passages}, key=int) == [str(n) for n in range(9)]
    assert all(p.chapter_title for p in report_passages)


def test_section_coverage(report_lines: list[SourceLine], report_passages: list[Passage]) -> None:
    expected = expected_headings(report_lines)
    assert len(expected) >= 45
    titles = {p.section: p.section_title for p in report_passages}
    recognised = [
        num
        for num, title in expected.items()
        if letters(titles.get(num, "")).startswith(letters(title))
    ]
    coverage = len(recognised) / len(expected)
    assert coverage >= 0.95, sorted(set(expected) - set(recognised))
    assert all(
        p.section == p.chapter or p.section.startswith(f"{p.chapter}.") for p in report_passages
    )


def test_no_artifacts_left(report_lines: list[SourceLine], report_passages: list[Passage]) -> None:
    texts = quality.passage_texts(report_passages)
    assert quality.split_word_artifacts(texts) == []
    assert quality.line_break_hyphens(texts) == []
    assert quality.glued_note_marks(texts) == []
    assert quality.glued_word_marks(texts) == []
    assert quality.false_joins(texts, quality.raw_paragraphs(report_lines)) == []


def test_artifacts_were_there_before(
    report_lines: list[SourceLine], report_passages: list[Passage]
) -> None:
    """The counters do see the damage in the raw text (so zero above means repaired)."""
    raw = quality.raw_paragraphs(report_lines)
    evidence = quality.token_counts(raw) + quality.token_counts(
        quality.passage_texts(report_passages)
    )
    assert len(quality.split_word_artifacts(raw, evidence=evidence)) >= 100
    assert len(quality.line_break_hyphens(raw, evidence=evidence)) >= 50
    assert len(quality.glued_note_marks(raw)) >= 300
    assert len(quality.glued_word_marks(raw, evidence=evidence)) >= 10


def test_footnotes(report_passages: list[Passage]) -> None:
    notes = [p for p in report_passages if p.kind is PassageKind.FOOTNOTE]
    assert len({(p.chapter, p.label) for p in notes}) >= 100
    body = letters(" ".join(p.text for p in report_passages if p.kind is not PassageKind.FOOTNOTE))
    for note in notes:
        probe = letters(note.text)[:50]
        assert probe not in body, note.passage_id


def test_letters_preserved(report_lines: list[SourceLine], report_passages: list[Passage]) -> None:
    assert quality.letters_preserved(report_lines, report_passages) >= 0.99


def test_findings_and_recommendations(report_passages: list[Passage]) -> None:
    findings = {p.label for p in report_passages if p.kind is PassageKind.FINDING}
    assert {"1", "1.1", "1.2", "1.3", "2", "9", "9.3", "10", "12"} <= findings
    assert {p.chapter for p in report_passages if p.kind is PassageKind.FINDING} == {"8"}
    recs = {p.label for p in report_passages if p.kind is PassageKind.RECOMMENDATION}
    assert len(recs) >= 10
    assert not any(
        re.fullmatch(r"\d+(\.\d+)?", p.section) and p.chapter == "8" and p.section != "8"
        for p in report_passages
    )


def test_token_budget(report_passages: list[Passage]) -> None:
    sizes = token_counter(INGEST_CONFIG.tokenizer).count_batch([p.text for p in report_passages])
    assert max(sizes) <= MODEL_WINDOW
    body = [
        n for n, p in zip(sizes, report_passages, strict=True) if p.kind is not PassageKind.FOOTNOTE
    ]
    assert max(body) <= 200 and statistics.median(body) >= 80


def test_ids_unique_and_stable(report_passages: list[Passage]) -> None:
    ids = [p.passage_id for p in report_passages]
    assert len(ids) == len(set(ids))
    again = ingest_sources([DEFAULT_SOURCE], config=INGEST_CONFIG)
    assert [(p.passage_id, p.text) for p in again] == [
        (p.passage_id, p.text) for p in report_passages
    ]
    assert "4.3.4-p3" in ids and "2.1-fn-vi" in ids


def test_no_paragraph_split_mid_sentence(report_passages: list[Passage]) -> None:
    """A body passage that stops mid-sentence is never followed, in the same §, by one that
    goes on in lower case: the layout (a wider line) must not cut a paragraph in two."""
    split = [
        (a.passage_id, b.passage_id)
        for a, b in zip(report_passages, report_passages[1:], strict=False)
        if a.kind is b.kind is PassageKind.BODY
        and a.section == b.section
        and not re.search(r"[.!?:;’”)\]]\s*\d*$", a.text)
        and b.text[:1].islower()
    ]
    assert split == []
    quote = next(p for p in report_passages if "368 militairen ondersteunt" in p.text)
    assert "Met deze bijdrage, gericht op een militaire" in quote.text
