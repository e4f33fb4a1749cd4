"""Count the extraction damage left in passages: a check that is independent of the repair.

The repair (`ingest.repair`) decides from the *raw* document with Zipf thresholds; these
counters look at the *output* text and use different evidence and cut-offs, so a repair
that silently stopped working, or joined the wrong things, shows up here:

- split-word artifact: adjacent tokens `a b` (both letters only, `b` lower-case, `a` not an
  acronym, neither among the 200 most frequent Dutch words of `wordfreq.top_n_list`) whose
  joined form `ab` is evidenced: it occurs as a token in the same passages, or it is a
  Dutch word with Zipf >= 2.5 while `a` or `b` is not a standalone word (Zipf < 2.5).
- line-break hyphenation: a hyphen followed by a space and a lower-case word that is not a
  conjunction of a suspended hyphen ("wenselijk- heid"; "politie- en" is fine), or a
  lower-case `a-b` whose joined form `ab` is a Dutch word (Zipf >= 2.0) or occurs in the
  passages ("wenselijk-heid").
- glued endnote mark: a word of 2+ letters (or a year) followed by punctuation and a 1-3
  digit number or a roman numeral up to xxxix, glued without a space ("missie.29",
  "brief.vi").
- letters preserved: the share of the source's letters whose 10-letter neighbourhood
  (lower-cased, letters only) occurs in the passages' letter stream.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

from wordfreq import top_n_list, zipf_frequency

from ingest.models import Passage, SourceLine

FUNCTION_WORD_RANK = 200
SPLIT_WORD_ZIPF = 2.5
HYPHEN_JOIN_ZIPF = 2.0
SUSPENSION = frozenset({"en", "of", "als", "tot", "noch", "maar", "dan"})
WINDOW = 10
VOWEL_CLASH = frozenset(
    ["aa", "ae", "ai", "au", "ee", "ei", "eu", "ie", "oe", "oi", "oo", "ou", "ui", "ii", "uu"]
)

_L = r"[^\W\d_]"
_PAIR = re.compile(rf"(?<![\w’'-])({_L}+) (?=({_L}+)(?![\w’'-]))")
_TOKEN = re.compile(rf"{_L}+")
_DANGLING = re.compile(rf"{_L}- ({_L}+)")
_INNER = re.compile(r"(?<![\w’'-])([a-zà-ÿ]+)-([a-zà-ÿ]+)(?![\w’'-])")
_ROMAN = r"(?:x{0,3})(?:ix|iv|v?i{1,3}|v)"
_GLUED = re.compile(
    rf"(?<!\S)\S*?(?:{_L}{{2}}|(?<!\d)\d{{4}})[.,;:)’”](?:\d{{1,3}}|{_ROMAN})(?:,|\.)?(?=\s|$)"
)


class Finding(NamedTuple):
    """One remaining artifact: where it is and what it looks like."""

    where: str
    text: str


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    return frozenset(top_n_list("nl", FUNCTION_WORD_RANK))


@lru_cache(maxsize=100_000)
def _zipf(word: str) -> float:
    return zipf_frequency(word.lower(), "nl")


def token_counts(texts: Iterable[tuple[str, str]]) -> Counter[str]:
    """Lower-cased word counts of `(where, text)` pairs: the document evidence."""
    return Counter(t.lower() for _, text in texts for t in _TOKEN.findall(text))


def split_word_artifacts(
    texts: Sequence[tuple[str, str]], *, evidence: Counter[str] | None = None
) -> list[Finding]:
    """Split-word artifacts in `(where, text)` pairs (see the module docstring).

    `evidence` is the vocabulary that attests joined forms; by default the words of
    `texts` themselves. To count the damage *before* repair, pass the words of the
    repaired passages too (the raw text rarely spells a split word whole).
    """
    tokens = evidence if evidence is not None else token_counts(texts)
    found: list[Finding] = []
    for where, text in texts:
        for match in _PAIR.finditer(text):
            left, right = match.group(1), match.group(2)
            if _is_split(left, right, tokens):
                found.append(Finding(where, f"{left} {right}"))
    return found


def _is_split(left: str, right: str, tokens: Counter[str]) -> bool:
    if not right[:1].islower() or any(c.isupper() for c in left[1:]):
        return False
    stop = _function_words()
    if left.lower() in stop or right.lower() in stop:
        return False
    joined = (left + right).lower()
    if tokens[joined] > 0:
        return True
    fragment = min(_zipf(left), _zipf(right)) < SPLIT_WORD_ZIPF
    return fragment and _zipf(joined) >= SPLIT_WORD_ZIPF


def line_break_hyphens(
    texts: Sequence[tuple[str, str]], *, evidence: Counter[str] | None = None
) -> list[Finding]:
    """Line-break hyphenations left in `(where, text)` pairs (module docstring).

    Dutch keeps the hyphen where two vowels would merge ("re-integratie"), so those count
    as real hyphens.
    """
    tokens = evidence if evidence is not None else token_counts(texts)
    found: list[Finding] = []
    for where, text in texts:
        for match in _DANGLING.finditer(text):
            word = match.group(1)
            if word[:1].islower() and word.lower() not in SUSPENSION and _zipf(word) < 6.0:
                found.append(Finding(where, match.group(0)))
        for match in _INNER.finditer(text):
            left, right = match.group(1), match.group(2)
            joined = left + right
            if left[-1] + right[0] in VOWEL_CLASH:
                continue
            if tokens[joined] > 0 or _zipf(joined) >= HYPHEN_JOIN_ZIPF:
                found.append(Finding(where, match.group(0)))
    return found


def glued_note_marks(texts: Sequence[tuple[str, str]]) -> list[Finding]:
    """Endnote marks still glued to words in `(where, text)` pairs."""
    return [
        Finding(where, match.group(0)) for where, text in texts for match in _GLUED.finditer(text)
    ]


def passage_texts(
    passages: Iterable[Passage], *, skip_tables: bool = True
) -> list[tuple[str, str]]:
    """`(passage_id, text)` pairs to count in; tables hold numbers and names, not prose."""
    return [
        (p.passage_id, p.text) for p in passages if not (skip_tables and p.kind.value == "table")
    ]


def raw_paragraphs(lines: Sequence[SourceLine]) -> list[tuple[str, str]]:
    """The unrepaired source as `(line range, text)` paragraphs: lines joined with a space.

    The "before" side of a before/after count.
    """
    paragraphs: list[tuple[str, str]] = []
    start, chunk = 0, list[str]()
    for number, line in enumerate([*lines, SourceLine("")], start=1):
        if line.text.strip():
            if not chunk:
                start = number
            chunk.append(line.text.strip())
        elif chunk:
            paragraphs.append((f"lines {start}-{number - 1}", " ".join(chunk)))
            chunk = []
    return paragraphs


def letters_preserved(lines: Sequence[SourceLine], passages: Iterable[Passage]) -> float:
    """Share of the source's letters found (in a 10-letter window) in the passages."""
    stream = "".join(c for p in passages for c in p.text.lower() if c.isalpha())
    windows = {stream[i : i + WINDOW] for i in range(len(stream) - WINDOW + 1)}
    total = covered = 0
    for line in lines:
        letters = "".join(c for c in line.text.lower() if c.isalpha())
        total += len(letters)
        covered += _covered(letters, windows, stream)
    return covered / total if total else 1.0


def _covered(letters: str, windows: set[str], stream: str) -> int:
    if len(letters) < WINDOW:
        return len(letters) if letters in stream else 0
    hit = [False] * len(letters)
    for i in range(len(letters) - WINDOW + 1):
        if letters[i : i + WINDOW] in windows:
            hit[i : i + WINDOW] = [True] * WINDOW
    return sum(hit)
