"""Reference formatting, the normal form for verbatim lookup, claim splitting and `compose`."""

from __future__ import annotations

from dataclasses import replace

from ingest.models import Passage, PassageKind
from service.answer import compose
from service.cite import (
    format_citation,
    is_verbatim,
    normalise,
    normalise_with_offsets,
    short_title,
    split_claims,
)

TEXT = (
    "Het Helidet werd ingezet vanuit Gao. De wenselijk- heid van de inzet werd door het "
    "ministerie van Buiten landse Zaken onderschreven."
)
PASSAGE = Passage(
    passage_id="4.3.4-p3",
    text=TEXT,
    chapter="4",
    section="4.3.4",
    section_title="Kwaliteit inzet en middelen, en uitdagingen in de uitvoering Helidet",
    paragraph=3,
    page=None,
    kind=PassageKind.BODY,
    source="report.txt",
    source_sha256="0" * 64,
)
GAO = "Het Helidet werd ingezet vanuit Gao."
REFERENCE = "IOB (2022), Evaluatie van de Nederlandse bijdrage aan MINUSMA 2014-2019"


def test_reference_matches_the_documented_format() -> None:
    assert format_citation(PASSAGE) == (
        f'{REFERENCE}, §4.3.4 "Kwaliteit inzet en middelen…", alinea 3'
    )


def test_reference_adds_the_page_when_known() -> None:
    assert format_citation(replace(PASSAGE, page="96")).endswith("alinea 3, p. 96")


def test_footnotes_and_findings_are_named_by_their_label() -> None:
    footnote = replace(PASSAGE, kind=PassageKind.FOOTNOTE, label="vi", passage_id="4.3.4-fn-vi")
    finding = replace(
        PASSAGE,
        kind=PassageKind.FINDING,
        label="1.3",
        chapter="8",
        section="8",
        section_title="Militair",
        chapter_title="Bevindingen en aanbevelingen",
    )
    assert format_citation(footnote).endswith('"Kwaliteit inzet en middelen…", voetnoot vi')
    assert format_citation(finding) == (
        f'{REFERENCE}, hoofdstuk 8 "Bevindingen en aanbevelingen", bevinding 1.3'
    )


def test_passages_outside_a_numbered_section_are_cited_by_chapter_or_foreword() -> None:
    foreword = replace(PASSAGE, chapter="0", section="0", section_title="Voorwoord", paragraph=2)
    intro = replace(PASSAGE, chapter="2", section="2", chapter_title="Hoofdstuk 2", paragraph=1)
    assert format_citation(foreword) == f"{REFERENCE}, Voorwoord, alinea 2"
    assert format_citation(intro) == f"{REFERENCE}, hoofdstuk 2, alinea 1"


def test_short_titles_are_kept_whole() -> None:
    assert short_title("Aanleiding") == "Aanleiding"
    assert short_title("x" * 45).endswith("…")


def test_normal_form_ignores_line_breaks_spaces_hyphens_case_and_accents() -> None:
    assert normalise("wenselijk-\nheid") == normalise("Wenselijkheid")
    assert normalise("Buiten landse Zaken") == normalise("Buitenlandse zaken")
    assert normalise("geïntegreerde") == normalise("geintegreerde")


def test_offsets_map_a_normalised_match_back_to_the_original_characters() -> None:
    folded, offsets = normalise_with_offsets(TEXT)
    needle = normalise("wenselijkheid van de inzet")
    at = folded.find(needle)
    quote = TEXT[offsets[at] : offsets[at + len(needle) - 1] + 1]
    assert quote == "wenselijk- heid van de inzet"
    assert is_verbatim(quote, TEXT)


def test_verbatim_check_is_exact() -> None:
    assert is_verbatim("ingezet vanuit Gao.", TEXT)
    assert not is_verbatim("ingezet  vanuit Gao.", TEXT)
    assert not is_verbatim("", TEXT)
    assert not is_verbatim("   ", TEXT)


def test_compose_drops_sentences_whose_quote_is_not_verbatim() -> None:
    text, citations = compose(
        [
            (
                "Het Helidet werd ingezet vanuit Gao.",
                PASSAGE,
                "Het Helidet werd ingezet vanuit Gao.",
            ),
            ("Een verzonnen zin.", PASSAGE, "Een verzonnen zin."),
            ("Buiten landse Zaken", PASSAGE, "Buiten landse Zaken"),
        ]
    )
    assert text == "Het Helidet werd ingezet vanuit Gao. [1] Buiten landse Zaken [2]"
    assert [c.n for c in citations] == [1, 2]
    assert all(is_verbatim(c.quote, c.passage.text) for c in citations)


def test_a_paragraph_is_split_into_claims() -> None:
    claims = split_claims(
        "De inzet was hoogwaardig. De doelen waren\nte ambitieus! Zie ook bijv. hoofdstuk 4. 1."
    )
    assert claims == [
        "De inzet was hoogwaardig.",
        "De doelen waren te ambitieus!",
        "Zie ook bijv. hoofdstuk 4.",
    ]
