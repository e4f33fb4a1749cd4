"""Acronym extraction (Schwartz-Hearst and word initials) and query expansion."""

from __future__ import annotations

import pytest

from index.glossary import QueryExpander, extract_glossary, is_short_form


@pytest.mark.parametrize(
    ("text", "short", "long_form"),
    [
        (
            "een bijdrage aan de All Sources Information Fusion Unit (ASIFU) in Bamako",
            "ASIFU",
            "All Sources Information Fusion Unit",
        ),
        (
            "de Long Range Reconnaissance Patrol Task Group (LRRPTG).",
            "LRRPTG",
            "Long Range Reconnaissance Patrol Task Group",
        ),
        ("door de VN-Veiligheidsraad (VNVR) besloten", "VNVR", "VN-Veiligheidsraad"),
        ("de Koninklijke Marechaussee (KMar) enerzijds", "KMar", "Koninklijke Marechaussee"),
        (
            "de Disarmament, Demobilization and Reintegration (DDR)-afdeling",
            "DDR",
            "Disarmament, Demobilization and Reintegration",
        ),
        (
            "het beschermen van burgers (Protection of Civilians – PoC) of",
            "PoC",
            "Protection of Civilians",
        ),
        (
            "het akkoord (Accord pour la paix et la réconciliation, APR) gesloten",
            "APR",
            "Accord pour la paix et la réconciliation",
        ),
        (
            "toegelicht: SOLTG – Special Operations Land Task Group, en meer",
            "SOLTG",
            "Special Operations Land Task Group",
        ),
        (
            "ASIFU (All Source Information Fusion Unit) was multinationaal",
            "ASIFU",
            "All Source Information Fusion Unit",
        ),
    ],
)
def test_definitions(text: str, short: str, long_form: str) -> None:
    assert extract_glossary([text]).get(short) == long_form


def test_non_definitions_are_ignored() -> None:
    text = "Frans Timmermans (PvdA) en (Nederlandse) eenheden in 2014 (zie box 1)."
    assert extract_glossary([text]) == {}


def test_short_form_shape() -> None:
    assert is_short_form("ASIFU") and is_short_form("KMar") and is_short_form("IPO’s")
    assert not is_short_form("Nederlandse") and not is_short_form("a") and not is_short_form("zie")


def test_expansion_both_ways() -> None:
    expander = QueryExpander(
        {"ASIFU": "All Source Information Fusion Unit", "KMar": "Koninklijke Marechaussee"}
    )
    assert expander.long_forms("Wat deed asifu?") == ["All Source Information Fusion Unit"]
    assert expander.acronyms("de koninklijke marechaussee in Mali") == ["KMar"]
    assert expander.expansions("niets") == []
