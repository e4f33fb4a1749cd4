"""Sentence splitting for Dutch (and English) report text, with character offsets.

Used by chunking (passages split at sentence boundaries), by the index (sentence-level
data for answering) and by the answerer, so all three agree on what a sentence is.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Abbreviations that end in a period but do not end a sentence (lower-cased, without the
# final period). Generic Dutch/English usage, not words of this report.
_ABBREVIATION_TEXT = """
    bijv bv o.a e.a e.d d.w.z m.a.w i.e e.g etc nr nrs art p pp blz vgl zgn z.g.n
    dr drs mr ir prof ing mevr dhr st jr sr ca resp incl excl m.b.t t.a.v i.v.m
    a.i n.a.v t.o.v v.s vs fig tab hfst par min max jan feb mrt apr aug sept sep okt nov dec
"""
_ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())

# A candidate boundary: sentence-final punctuation (optionally followed by closing quotes
# or brackets), then whitespace, then something that can start a sentence.
_BOUNDARY = re.compile(r"([.!?…]+[)\]’”'\"]*)(\s+)(?=[\"'‘“(\[]?[A-Z0-9À-ÖØ-Þ•])")
_TOKEN_BEFORE = re.compile(r"(\S+)$")


class SentenceSpan(NamedTuple):
    """A sentence as [start, end) character offsets into the text it came from."""

    start: int
    end: int
    text: str


def _is_abbreviation(before: str) -> bool:
    match = _TOKEN_BEFORE.search(before)
    if not match:
        return False
    token = match.group(1).lstrip("(\"'‘“").rstrip(".").lower()
    if token in _ABBREVIATIONS:
        return True
    # single letters ("J. Smit", "a. ...") and dotted initialisms ("V.N.") are not ends
    return len(token) == 1 and token.isalpha() or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", token))


def split_sentence_spans(text: str) -> list[SentenceSpan]:
    """Split `text` into sentences; offsets index into `text` itself (whitespace trimmed)."""
    spans: list[SentenceSpan] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end(1)
        if match.group(1).startswith(".") and _is_abbreviation(text[start : match.start(1)]):
            continue
        _append(spans, text, start, end)
        start = match.end(2)
    _append(spans, text, start, len(text))
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of `text` as strings (see `split_sentence_spans`)."""
    return [span.text for span in split_sentence_spans(text)]


def _append(spans: list[SentenceSpan], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    begin = start + lead
    spans.append(SentenceSpan(begin, begin + len(stripped), stripped))
