"""Query cues: language detection and the answer type a question asks for."""

from __future__ import annotations

import pytest

from index.cues import answer_pattern, query_language


@pytest.mark.parametrize(
    ("query", "language"),
    [
        ("Why did the helicopter withdrawal put the relationship under pressure?", "en"),
        ("Which country took over the Dutch ISR company, and when?", "en"),
        ("Waarom kon de missie weinig doen aan de bescherming van burgers?", "nl"),
        ("Welke strategisch belangrijke functie binnen UNPOL leverde Nederland?", "nl"),
        ("ASIFU", "nl"),  # no function words: Dutch, the report's language
        ("", "nl"),
    ],
)
def test_query_language(query: str, language: str) -> None:
    assert query_language(query) == language


def test_answer_pattern_number_and_date() -> None:
    number = answer_pattern("Hoeveel helikopters leverde Nederland?")
    assert number is not None and number.search("vier Apaches, 3 Chinooks")
    assert answer_pattern("How many interviews were held?") is number
    date = answer_pattern("Wanneer werd MINUSMA opgericht?")
    assert date is not None and date.search("op 25 april 2013") and not date.search("128 man")
    assert answer_pattern("Waarom nam Nederland deel?") is None
