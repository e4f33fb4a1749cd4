"""Structure on a committed excerpt of the report, with exact expectations."""

from __future__ import annotations

import hashlib

from ingest.models import Passage, PassageKind, SourceLine
from ingest.passages import build_passages
from tests.ingest.conftest import EXCERPT, INGEST_CONFIG


def by_id(passages: list[Passage]) -> dict[str, Passage]:
    return {p.passage_id: p for p in passages}


def test_chapters_and_titles(excerpt_passages: list[Passage]) -> None:
    titles = {p.chapter: p.chapter_title for p in excerpt_passages}
    assert titles == {
        "0": "Voorwoord",
        "1": "Over dit rapport",
        "2": "Hoofdstuk 2",  # the report has no heading line for chapter 2
        "8": "Bevindingen en aanbevelingen",
    }


def test_sections_and_wrapped_titles(excerpt_passages: list[Passage]) -> None:
    sections = {p.section: p.section_title for p in excerpt_passages}
    assert sections["1.1"] == "Aanleiding"
    assert sections["1.4"] == "Opzet van dit rapport"
    assert sections["2.1"] == "De aanleiding tot MINUSMA"
    assert sections["2.2"] == "Een verschuivend mandaat in een verslechterend veiligheidsklimaat"
    # the chapter introduction before 2.1 belongs to chapter 2, section "2"
    intro = by_id(excerpt_passages)["2-p1"]
    assert intro.text.startswith("Dit hoofdstuk gaat kort in op de totstandkoming van MINUSMA")


def test_footnotes_are_own_passages(excerpt_passages: list[Passage]) -> None:
    passages = by_id(excerpt_passages)
    # footnote i sits before the 1.1 heading; it takes the § of the text that refers to it
    note = passages["1.1-fn-i"]
    assert note.kind is PassageKind.FOOTNOTE and note.label == "i" and note.section == "1.1"
    assert note.section_title == "Aanleiding"
    assert note.text == (
        "Artikel 100-missies zijn missies waarbij Nederland de krijgsmacht inzet voor de "
        "handhaving of bevordering van de internationale rechtsorde. In Artikel 100 van de "
        "Grondwet staat dat het kabinet het parlement vooraf moet informeren over een dergelijke "
        "inzet, tenzij dwingende redenen dit beletten."
    )
    # two real words; the excerpt never spells "Kamerstukken" whole, so no evidence to join
    assert (
        passages["1.1-fn-iii"].text
        == "Kamer stukken II 2019-2020, 27 925, nr. 699 (6 februari 2020)."
    )
    labels = [
        p.label for p in excerpt_passages if p.section == "2.1" and p.kind is PassageKind.FOOTNOTE
    ]
    # ii sits before the 2.1 heading but 2.1's first paragraph refers to it
    assert labels == ["ii", "vi", "vii", "viii", "ix"]


def test_glued_note_marks_removed_and_kept(excerpt_passages: list[Passage]) -> None:
    passage = by_id(excerpt_passages)["1.1-p2"]
    assert passage.text.startswith(
        "Voor Nederlandse bijdragen aan Artikel 100-missies, en dus ook voor de bijdrage aan "
        "MINUSMA, geldt een verplichting om de inzet na beëindiging te evalueren. Een interne "
        "eindevaluatie van MINUSMA was al in gang gezet door de betrokken ministeries "
        "(Buitenlandse Zaken, Defensie, en Justitie en Veiligheid)"
    )
    assert passage.note_refs == ("i", "ii", "iii")
    assert "2100 van de VN Veiligheidsraad" in by_id(excerpt_passages)["2.1-p1"].text


def test_body_never_holds_footnote_or_table_text(excerpt_passages: list[Passage]) -> None:
    body = " ".join(p.text for p in excerpt_passages if p.kind is PassageKind.BODY)
    for p in excerpt_passages:
        if p.kind in (PassageKind.FOOTNOTE, PassageKind.TABLE):
            assert p.text[:60] not in body
    assert "Juli 2016" not in body and "Tsjaad 1117" not in body


def test_paragraph_interrupted_by_figure_is_rejoined(excerpt_passages: list[Passage]) -> None:
    body = [p for p in excerpt_passages if p.section == "2.1" and p.kind is PassageKind.BODY]
    assert any("de stabiliteit van Mali zou kunnen bevorderen, leidde tot" in p.text for p in body)
    caption = by_id(excerpt_passages)["2.1-cap-1"]
    assert caption.kind is PassageKind.CAPTION
    assert caption.text == "Figuur 1. Tijdlijn ontwikkelingen 2012-2019."
    tables = " ".join(p.text for p in excerpt_passages if p.kind is PassageKind.TABLE)
    assert "Juli 2016:" in tables and "Operationele pauze" in tables
    assert "1 Tsjaad 1117 1 Bangladesh 1580" in tables


def test_box(excerpt_passages: list[Passage]) -> None:
    box = [p for p in excerpt_passages if p.kind is PassageKind.BOX]
    assert [p.passage_id for p in box] == [f"2.1-box1-{n}" for n in range(1, len(box) + 1)]
    assert box[0].label == "1"
    assert box[0].text.startswith(
        "Box 1: Internationale veiligheidsactoren in Mali ten tijde van de Nederlandse bijdrage\n"
        "Operatie Serval/Barkhane: Frankrijk zette Operatie Serval op"
    )
    assert box[-1].text.startswith("EUCAP Sahel Mali:")


def test_findings_and_recommendations(excerpt_passages: list[Passage]) -> None:
    ch8 = [p for p in excerpt_passages if p.chapter == "8"]
    assert {p.section for p in ch8} == {"8"}
    kinds = {(p.kind, p.label) for p in ch8 if p.kind is not PassageKind.BODY}
    assert kinds == {
        (PassageKind.FINDING, "1"),
        (PassageKind.FINDING, "1.1"),
        (PassageKind.FINDING, "1.2"),
        (PassageKind.RECOMMENDATION, "1.2"),
    }
    passages = by_id(excerpt_passages)
    assert passages["8-finding-1-1"].text.startswith("1. Hoofdbevinding: De inlichtingen bijdrage")
    assert passages["8-finding-1-1"].section_title == "Militair"
    rec = passages["8-rec-1.2-1"]
    assert rec.text.startswith("Aanbevelingen:\n• Stel voorafgaand aan missies een analyse op")
    assert all(p.kind is PassageKind.RECOMMENDATION for p in ch8 if "• " in p.text)


def test_ids_unique_and_source_fields(excerpt_passages: list[Passage]) -> None:
    ids = [p.passage_id for p in excerpt_passages]
    assert len(ids) == len(set(ids))
    digest = hashlib.sha256(EXCERPT.read_bytes()).hexdigest()
    assert {(p.source, p.source_sha256, p.page) for p in excerpt_passages} == {
        ("report_excerpt.txt", digest, None)
    }
    for section in {p.section for p in excerpt_passages}:
        body = [
            p.paragraph
            for p in excerpt_passages
            if p.section == section and p.kind is PassageKind.BODY
        ]
        assert body == list(range(1, len(body) + 1))


def test_pdf_hints_drive_structure() -> None:
    """With font and footnote-zone hints, headings need a heading font and footnotes the
    footnote zone; the passage page is the page of its first line."""
    body = "De inzet was gericht op het verbeteren van de inlichtingencapaciteiten van de missie."
    lines = [
        SourceLine("1. Over dit rapport", page="7", font_size=16.0, bold=True),
        SourceLine("1.1 Aanleiding", page="7", font_size=12.0, bold=True),
        SourceLine(body, page="7", font_size=10.0),
        SourceLine(
            "1.2 is geen kop in lopende tekst maar een getal aan het begin van een regel.",
            page="7",
            font_size=10.0,
        ),
        SourceLine("", page="7"),
        SourceLine("Nieuwe alinea over de wenselijk-", page="8", font_size=10.0),
        SourceLine("heid van de missie.", page="8", font_size=10.0),
        SourceLine(
            "i Een voetnoot onderaan de pagina.", page="8", font_size=7.0, footnote_zone=True
        ),
    ]
    passages = build_passages(lines, source="r.pdf", source_sha256="0" * 64, config=INGEST_CONFIG)
    # two short paragraphs share one passage; its page is the page of its first line
    assert [(p.passage_id, p.page) for p in passages] == [("1.1-p1", "7"), ("1.1-fn-i", "8")]
    texts = " ".join(p.text for p in passages)
    assert "wenselijkheid" in texts and "1.2 is geen kop" in texts
    assert {p.section for p in passages} == {"1.1"}
    assert (
        passages[-1].kind is PassageKind.FOOTNOTE
        and passages[-1].text == "Een voetnoot onderaan de pagina."
    )
