"""Evidence-based repairs: hyphenation, split words, glued endnote marks."""

from __future__ import annotations

import pytest

from ingest.repair import (
    Lexicon,
    is_roman,
    join_lines,
    line_end_hyphen,
    repair_midline_hyphens,
    repair_split_words_everywhere,
    roman_value,
    strip_note_refs,
)

DOC = Lexicon.from_texts(
    [
        "Ministerie van Buitenlandse Zaken. Het VN-missie verslag over de besluitvorming.",
        "niet-westerse en niet-militaire eenheden; de missie in de regio.",
        "als een special forces-eenheid ingezet.",
    ]
)


@pytest.mark.parametrize(
    ("left", "right", "verdict"),
    [
        ("wenselijk", "heid", "join"),  # Dutch word list knows "wenselijkheid"
        ("Buiten", "landse", "join"),  # the document spells "Buitenlandse"
        ("VN", "missie", "keep"),  # acronym + word keeps its hyphen
        ("KMar", "functionarissen", "keep"),
        ("Centraal", "Mali", "keep"),  # capital after the break
        ("politie", "en", "suspend"),  # "politie- en KMar-bijdrage"
        ("stabilisatie", "inspanning", "keep"),  # e-i vowel clash
        ("niet", "gouvernementele", "keep"),  # the document writes niet-X twice
        ("forces", "capaciteit", "keep"),  # "special forces-eenheid": a multi-word head
        ("missie", "verslag", "join"),  # no hyphenated "missie-" in the document
    ],
)
def test_line_end_hyphen(left: str, right: str, verdict: str) -> None:
    assert line_end_hyphen(left, right, DOC) == verdict


def test_join_lines_repairs_line_ends() -> None:
    lines = [
        "brief dat het de wenselijk-",
        "heid onderzocht, de politie- en KMar-",
        "bijdrage en de VN-",
        "missie",
    ]
    assert join_lines(lines, DOC) == (
        "brief dat het de wenselijkheid onderzocht, de politie- en KMar-bijdrage en de VN-missie"
    )


def test_midline_hyphen_space() -> None:
    assert repair_midline_hyphens("van EU- lidstaten, politie- en KMar") == (
        "van EU-lidstaten, politie- en KMar"
    )
    assert repair_midline_hyphens("moet gebeuren- met zowel") == "moet gebeuren- met zowel"


def test_split_words_joined_from_evidence_only() -> None:
    texts = [
        "Het ministerie van Buiten landse Zaken en de VN Veiligheids raad.",
        "De Veiligheids raad besloot; de besluit vorming liep via Buitenlandse Zaken.",
        "Over de besluitvorming rond de missie in de regio.",
        "De Onder zoeks aanpak en de Ontwikkelings samen werking.",
        "Er was samenwerking, ten slotte kwam het aan bod op lopende operaties.",
        "De onderzoeksvraag, het onderzoeksteam en de ontwikkelingslanden.",
    ]
    repaired, joins = repair_split_words_everywhere(texts)
    assert repaired[0] == "Het ministerie van Buitenlandse Zaken en de VN Veiligheidsraad."
    assert "de besluitvorming liep" in repaired[1]
    assert repaired[2] == texts[2]  # "de missie", "in de": two real words stay apart
    assert repaired[3] == "De Onderzoeksaanpak en de Ontwikkelingssamenwerking."
    assert repaired[4] == texts[4]  # "ten slotte", "aan bod", "op lopende": phrases
    assert {j.joined for j in joins} >= {"Buitenlandse", "Veiligheidsraad", "besluitvorming"}


def test_plural_before_a_word_is_not_a_linking_s() -> None:
    """ "rotaties verbeterd" is two words: the plural stands alone elsewhere or begins no
    compound, so it is no linking-s half, and "rotatiesverbeterd" is attested nowhere."""
    texts = [
        "Sommige rotaties verbeterd. De Chinooks waren er en de Apaches werden ingezet.",
        "Verschillende facties vonden elkaar; de rotaties.",
        "De Chinooks en Apaches vlogen. Het Vredesakkoord van Algiers gericht op vrede.",
    ]
    repaired, joins = repair_split_words_everywhere(texts)
    assert repaired == texts and joins == []


def test_linking_s_needs_compounds_in_the_document() -> None:
    alone = ["De Onderzoeks aanpak was nieuw."]
    assert repair_split_words_everywhere(alone)[0] == alone
    with_compounds = [*alone, "De onderzoeksvraag en het onderzoeksteam."]
    assert repair_split_words_everywhere(with_compounds)[0][0] == "De Onderzoeksaanpak was nieuw."


def test_split_compound_tail_is_joined() -> None:
    texts = ["en medische evacuatiemogelijk heden. Hierdoor hebben zij", "meer mogelijkheden."]
    repaired, joins = repair_split_words_everywhere(texts)
    assert repaired[0] == "en medische evacuatiemogelijkheden. Hierdoor hebben zij"
    assert [j.joined for j in joins] == ["evacuatiemogelijkheden"]


def test_two_words_not_joined_without_document_evidence() -> None:
    repaired, joins = repair_split_words_everywhere(["De besluit vorming rond de missie."])
    assert repaired == ["De besluit vorming rond de missie."] and joins == []


def test_strip_note_refs_keeps_real_numbers() -> None:
    labels = frozenset({"i", "ii", "vi", "viii", "xi", "xviii"})
    lexicon = Lexicon.from_texts(["De Chinooks vlogen."])
    text = (
        "de missie.29 De brief.vi Elk Artikel 100-missies,i en in 2013.ii Eerst G5.viii en "
        "aansturen.xi, 74 Daardoor 3 Chinooksxviii naar (zie Figuur 2).13 Door "
        "paragraaf 2.1 in 2014, nr. 226 en Resolutie 2085 d.i. S/2021/519."
    )
    clean, refs = strip_note_refs(text, labels=labels, lexicon=lexicon)
    assert clean == (
        "de missie. De brief. Elk Artikel 100-missies, en in 2013. Eerst G5. en "
        "aansturen. Daardoor 3 Chinooks naar (zie Figuur 2). Door "
        "paragraaf 2.1 in 2014, nr. 226 en Resolutie 2085 d.i. S/2021/519."
    )
    assert sorted(refs) == sorted(["29", "vi", "i", "ii", "viii", "xi", "74", "xviii", "13"])


def test_strip_marks_glued_to_words() -> None:
    labels = frozenset({"i", "xiii", "xvi", "xli"})
    lexicon = Lexicon.from_texts(["De sensoren en UNDSS. Het was Mali. Een taxi."])
    text = (
        "zes maanden186 niet (inclusief sensorenxiii) en voor afschrikkingxli, 268 met de "
        "U2xiii en UNDSSxvi door Assimi Goïta met G5, NH90, MQ9 en COVID19 in Mali per taxi"
    )
    clean, refs = strip_note_refs(text, labels=labels, lexicon=lexicon)
    assert clean == (
        "zes maanden niet (inclusief sensoren) en voor afschrikking met de "
        "U2 en UNDSS door Assimi Goïta met G5, NH90, MQ9 en COVID19 in Mali per taxi"
    )
    assert sorted(refs) == sorted(["186", "xiii", "xli", "268", "xiii", "xvi"])


def test_roman_numerals() -> None:
    assert [is_roman(s) for s in ("i", "xxxv", "iix", "mali", "")] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert [roman_value(s) for s in ("iv", "xix", "xxxv")] == [4, 19, 35]
