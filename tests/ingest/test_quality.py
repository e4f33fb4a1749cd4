"""The artifact counters find the damage they claim to count (so a zero means something)."""

from __future__ import annotations

from ingest import quality
from ingest.models import SourceLine


def pairs(*texts: str) -> list[tuple[str, str]]:
    return [(f"t{i}", text) for i, text in enumerate(texts)]


def test_split_words_counted_and_real_phrases_not() -> None:
    texts = pairs(
        "Het ministerie van Buiten landse Zaken en de Buitenlandse Handel.",
        "de inter nationale gemeenschap en de internationale orde",
        "De missie in de regio; ten slotte kwam het aan bod.",
    )
    found = [f.text for f in quality.split_word_artifacts(texts)]
    assert found == ["Buiten landse", "inter nationale"]


def test_split_compound_tail_counted() -> None:
    texts = pairs("medische evacuatiemogelijk heden en meer mogelijkheden", "Hierdoor hebben zij")
    assert [f.text for f in quality.split_word_artifacts(texts)] == ["evacuatiemogelijk heden"]


def test_false_joins_of_two_words_counted() -> None:
    raw = pairs(
        "Sommige rotaties verbeterd. Alle rotaties. De Chinooks waren er.",
        "De achtergrondkennis kost tijd. Het besluit vormings proces en de Onder zoeks aanpak.",
        "De onderzoeksvraag en het onderzoeksteam; de inlichtingen- gestuurd werken,",
        "en medische evacuatiemogelijk heden.",
    )
    output = pairs(
        "Sommige rotatiesverbeterd. Alle rotaties. De Chinookswaren er.",
        "De achtergrondkenniskost tijd. Het besluitvormingsproces en de Onderzoeksaanpak.",
        "De onderzoeksvraag en het onderzoeksteam; de inlichtingengestuurd werken,",
        "en medische evacuatiemogelijkheden.",
    )
    found = {f.where: f.text for f in quality.false_joins(output, raw)}
    assert found == {
        "achtergrondkenniskost": "achtergrondkennis kost",
        "chinookswaren": "chinooks waren",
        "rotatiesverbeterd": "rotaties verbeterd",
    }
    assert quality.false_joins(raw, raw) == []


def test_line_break_hyphens_counted() -> None:
    texts = pairs(
        "de wenselijk- heid en de wenselijkheid",
        "politie- en KMar-bijdrage, zowel X- als Y, re-integratie, VN-missie",
        "de inter-nationale gemeenschap",
    )
    found = [f.text for f in quality.line_break_hyphens(texts)]
    assert found == ["k- heid", "inter-nationale"]


def test_glued_marks_counted_but_not_numbers() -> None:
    texts = pairs("de missie.29 De brief.vi Elk in 2013.12 maar nr. 226, 2.1 en 2014. Of gering.xl")
    found = [f.text for f in quality.glued_note_marks(texts)]
    assert found == ["missie.29", "brief.vi", "2013.12", "gering.xl"]


def test_marks_glued_to_words_counted() -> None:
    texts = pairs(
        "zes maanden186 niet (inclusief sensorenxiii) en afschrikkingxli, met de U2xiii",
        "de sensoren en de Chinooks271 in Mali per taxi, Assimi Goïta, G5, NH90 en COVID19",
    )
    found = [f.text for f in quality.glued_word_marks(texts)]
    assert found == ["maanden186", "sensorenxiii", "afschrikkingxli", "U2xiii", "Chinooks271"]


def test_letters_preserved_detects_loss() -> None:
    from ingest.models import Passage, PassageKind

    lines = [
        SourceLine("De Nederlandse bijdrage aan MINUSMA"),
        SourceLine("Tabel 3 rijen verdwenen"),
    ]
    kept = Passage(
        "p",
        "De Nederlandse bijdrage aan MINUSMA",
        "1",
        "1",
        "",
        1,
        None,
        PassageKind.BODY,
        "s",
        "h",
    )
    share = quality.letters_preserved(lines, [kept])
    assert 0.55 < share < 0.65
