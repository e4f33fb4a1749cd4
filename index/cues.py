"""Query cues for fusion: the query's language and the kind of answer it asks for.

Both are cheap, generic signals read from the query alone. The language decides which
signals the fusion trusts (Dutch word-level BM25 cannot match an English question; the
English embedding model and character n-grams, which catch cognates such as
`helicopter`/`helikopter`, can). The answer type gives a small bonus to passages that
contain what the question asks for: a number for `hoeveel` / `how many`, a date for
`wanneer` / `when`.
"""

from __future__ import annotations

import re
from typing import Literal

from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN

from index.analysis import words

Language = Literal["nl", "en"]

# Interrogatives and question verbs bm25s's English stopword list lacks.
ENGLISH_QUESTION_WORDS = frozenset(
    ["what", "which", "who", "why", "how", "when", "where"]
    + ["does", "did", "do", "about", "according"]
)
# English function words that are not Dutch.
_ENGLISH = (frozenset(STOPWORDS_EN) | ENGLISH_QUESTION_WORDS) - frozenset(STOPWORDS_DUTCH)
_DUTCH = frozenset(STOPWORDS_DUTCH) - frozenset(STOPWORDS_EN)

_ASKS_NUMBER = re.compile(r"\bhoeveel\b|\bhow\s+(?:many|much)\b", re.IGNORECASE)
_ASKS_DATE = re.compile(r"\bwanneer\b|\bwhen\b|\bin\s+welk\s+jaar\b|\bwelke\s+datum\b", re.I)
_NUMBER = re.compile(r"\d")
_DATE = re.compile(
    r"\b(?:1[89]|20)\d\d\b|\b(?:januari|februari|maart|april|mei|juni|juli|augustus|"
    r"september|oktober|november|december)\b",
    re.IGNORECASE,
)


def function_words(text: str) -> tuple[int, int]:
    """How many English-only and how many Dutch-only function words `text` has."""
    tokens = words(text)
    return sum(t in _ENGLISH for t in tokens), sum(t in _DUTCH for t in tokens)


def query_language(query: str) -> Language:
    """ "en" when the query has more English-only than Dutch-only function words."""
    english, dutch = function_words(query)
    return "en" if english > dutch else "nl"


def answer_pattern(query: str) -> re.Pattern[str] | None:
    """What a passage answering `query` likely contains (a number or a date), or None."""
    if _ASKS_NUMBER.search(query):
        return _NUMBER
    if _ASKS_DATE.search(query):
        return _DATE
    return None
