"""The parts of a claim the lookup checks one by one: its clauses, numbers and names.

Words are matched "softly": a claim word also matches a report word sharing a long prefix
(Britten/Britse, rotation/rotatietijd: inflections and English-Dutch cognates the stemmer
keeps apart).

A briefing claim often joins a true statement to one the report does not make ("..., dat
tegelijk ook de helikopters overnam"); split into clauses, the true part can be shown as
supported and the rest as not. Numbers and names are the parts a distorted claim changes
(218 for 128 interviews, Zweden for Duitsland): a passage that lacks one of them does not
support the claim, however similar its wording.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from index.analysis import fold, words
from service.evidence import informativeness

MIN_PREFIX = 4  # a soft match shares at least this many leading characters ...
PREFIX_SHARE = 0.5  # ... and at least this share of the longer word

# Clause boundaries: , ; : and the conjunctions that join statements (Dutch and English).
_CLAUSE_BREAK = re.compile(
    r"\s*[,;:]\s+|\s+(?:en|maar|terwijl|want|doch|and|but|while|whereas)\s+", re.IGNORECASE
)
_NUMBER = re.compile(r"\d+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)  # "IPO's" is one word ...
_POSSESSIVE = re.compile(r"['’]s$")  # ... and its name is "ipo", as the report's words have it


@dataclass(frozen=True, slots=True)
class Clause:
    """A clause of a claim and where it sits in the claim's text."""

    text: str
    start: int
    end: int


def split_clauses(claim: str) -> list[Clause]:
    """The claim's clauses (pieces with at least one letter or digit), in order."""
    out = []
    start = 0
    for cut in [*_CLAUSE_BREAK.finditer(claim), None]:
        end = len(claim) if cut is None else cut.start()
        piece = claim[start:end].strip().rstrip(".!?")
        if any(ch.isalnum() for ch in piece):
            at = claim.index(piece, start)
            out.append(Clause(piece, at, at + len(piece)))
        if cut is not None:
            start = cut.end()
    return out


def numbers_of(text: str) -> set[str]:
    """The digit runs of `text` (2016, 128, 2085)."""
    return set(_NUMBER.findall(text))


def numbers_agree(claim: str, text: str) -> bool:
    """True when every number in the claim also occurs in `text`."""
    return numbers_of(claim) <= numbers_of(text)


def names_in(claim: str, *, start: int = 0, end: int | None = None) -> list[str]:
    """The folded names of the claim between `start` and `end`: capitalised words other
    than the claim's first word, and acronyms (ISR, UNPOL) wherever they stand."""
    end = len(claim) if end is None else end
    found = []
    for i, match in enumerate(_WORD.finditer(claim)):
        word = match.group()
        if not start <= match.start() < end or not word[0].isupper() or word.isdigit():
            continue
        acronym = len(word) > 1 and sum(ch.isupper() for ch in word) > 1
        if i > 0 or acronym:
            found.append(_POSSESSIVE.sub("", fold(word)))
    return list(dict.fromkeys(found))


@dataclass(frozen=True, slots=True)
class SoftTerms:
    """A claim's words, each with its weight and the report words it softly matches."""

    weights: dict[str, float]
    matches: dict[str, frozenset[str]]

    def coverage(self, span_words: set[str]) -> float:
        """Weighted share of the claim's words matched in `span_words` (0 for no words)."""
        total = sum(self.weights.values())
        if total <= 0:
            return 0.0
        found = sum(
            w for word, w in self.weights.items() if not self.matches[word].isdisjoint(span_words)
        )
        return found / total


class SoftMatcher:
    """Matches a word to the report's words that share a long prefix with it."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._by_prefix: dict[str, list[str]] = defaultdict(list)
        for word in set(vocabulary):
            self._by_prefix[word[:MIN_PREFIX]].append(word)

    def matches(self, word: str) -> frozenset[str]:
        """`word` itself plus the report words that share a prefix long enough with it."""
        if len(word) < MIN_PREFIX or word.isdigit():
            return frozenset({word})
        found = {word}
        for other in self._by_prefix.get(word[:MIN_PREFIX], ()):
            if _shared_prefix(word, other) >= PREFIX_SHARE * max(len(word), len(other)):
                found.add(other)
        return frozenset(found)

    def terms(self, text: str) -> SoftTerms:
        """The soft terms of a claim (weights: how informative each word is)."""
        unique = list(dict.fromkeys(words(text)))
        return SoftTerms(
            weights={w: informativeness(w) for w in unique},
            matches={w: self.matches(w) for w in unique},
        )


def _shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
