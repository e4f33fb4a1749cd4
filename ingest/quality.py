"""Count the extraction damage left in passages: a check that is independent of the repair.

The repair (`ingest.repair`) decides from the *raw* document with Zipf thresholds; these
counters look at the *output* text and use different evidence and cut-offs, so a repair
that silently stopped working, or joined the wrong things, shows up here:

- split-word artifact: adjacent tokens `a b` (both letters only, `b` lower-case, `a` not an
  acronym, neither among the 200 most frequent Dutch words of `wordfreq.top_n_list`) whose
  joined form `ab` is evidenced: it occurs as a token in the same passages, or it is a
  Dutch word with Zipf >= 2.5 while `a` or `b` is not a standalone word (Zipf < 2.5), or
  `a` is no word at all (Zipf 0) and ends in a word whose join with `b` is one
  ("evacuatiemogelijk heden": "mogelijkheden").
- line-break hyphenation: a hyphen followed by a space and a lower-case word that is not a
  conjunction of a suspended hyphen ("wenselijk- heid"; "politie- en" is fine), or a
  lower-case `a-b` whose joined form `ab` is a Dutch word (Zipf >= 2.0) or occurs in the
  passages ("wenselijk-heid").
- glued endnote mark: a word of 2+ letters (or a year) followed by punctuation and a 1-3
  digit number or a roman numeral up to xlix, glued without a space ("missie.29",
  "brief.vi"); or glued straight to a word (`glued_word_marks`): a word of 3+ letters
  that is no acronym followed by 1-3 digits ("maanden186"), or a word (or code) whose stem
  is attested followed by a roman numeral, when the whole is no Dutch word
  ("sensorenxiii", "U2xiii"; "Mali", "taxi" are fine).
- false join (`false_joins`): an output token that the raw source never spells (not as a
  token, not across a line-end hyphen) and that `wordfreq` does not know, whose raw
  spelling has a space between two standalone words ("rotaties verbeterd" ->
  "rotatiesverbeterd"). A standalone word is one with Zipf >= 2.5, one the raw source
  puts before punctuation, or a plural/inflection (-s, -en, -e) of such a word; a linking-s
  form that begins 2+ other raw tokens ("onderzoeks": "onderzoeksvraag", ...) is the first
  half of a compound, not a standalone word.
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
_HYPHEN_BREAK = re.compile(rf"({_L}+)- ({_L}+)")
_BEFORE_PUNCT = re.compile(rf"({_L}+)[.,;:!?)]")
_WORD_MARK = re.compile(
    r"(?<![\w’'-])(?P<word>[^\W_]*?[^\W_])(?P<mark>\d{1,3}|[ivxl]+)(?=[\s.,;:!?)’”]|$)"
)
_DANGLING = re.compile(rf"{_L}- ({_L}+)")
_INNER = re.compile(r"(?<![\w’'-])([a-zà-ÿ]+)-([a-zà-ÿ]+)(?![\w’'-])")
_ROMAN = r"(?:xl|l?x{0,3})(?:ix|iv|v?i{1,3}|v)|xl|l?x{1,3}"
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
    if fragment and _zipf(joined) >= SPLIT_WORD_ZIPF:
        return True
    return _zipf(left) == 0 and _cut_compound_tail(left.lower(), right.lower(), tokens)


def _cut_compound_tail(left: str, right: str, tokens: Counter[str]) -> bool:
    """'evacuatiemogelijk heden': `left` ends in a word ('mogelijk', after 3+ letters)
    whose join with `right` is a word ('mogelijkheden')."""
    for cut in range(3, len(left) - 3):
        tail = left[cut:]
        if _zipf(tail) >= SPLIT_WORD_ZIPF:
            joined = tail + right
            return tokens[joined] > 0 or _zipf(joined) >= SPLIT_WORD_ZIPF
    return False


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


def glued_word_marks(
    texts: Sequence[tuple[str, str]], *, evidence: Counter[str] | None = None
) -> list[Finding]:
    """Note marks glued straight to a word in `(where, text)` pairs (module docstring).

    `evidence` attests stems (by default the words of `texts`).
    """
    tokens = evidence if evidence is not None else token_counts(texts)
    found: list[Finding] = []
    for where, text in texts:
        for match in _WORD_MARK.finditer(text):
            if _is_word_mark(match.group("word"), match.group("mark"), tokens):
                found.append(Finding(where, match.group(0)))
    return found


def _is_word_mark(word: str, mark: str, tokens: Counter[str]) -> bool:
    if mark.isdigit():
        return word.isalpha() and len(word) >= 3 and not any(c.isupper() for c in word[1:])
    if not word.isalpha():  # a code such as "U2" followed by a lower-case roman mark
        return any(c.isdigit() for c in word) and word[:1].isupper() and _is_roman(mark)
    whole = word + mark
    if _zipf(whole) > 0:
        return False
    for cut in range(1, len(mark) + 1):
        stem, suffix = whole[: len(word) + cut - 1], whole[len(word) + cut - 1 :]
        if _is_roman(suffix) and (tokens[stem.lower()] > 0 or _zipf(stem) >= SPLIT_WORD_ZIPF):
            return len(stem) >= 3 or stem.isupper()
    return False


def _is_roman(text: str) -> bool:
    return re.fullmatch(_ROMAN, text) is not None


def false_joins(texts: Sequence[tuple[str, str]], raw: Sequence[tuple[str, str]]) -> list[Finding]:
    """Tokens of `texts` made by joining two standalone words of the `raw` source
    (module docstring): one finding per distinct token."""
    evidence = _RawEvidence.build(raw)
    output = token_counts(texts)
    found: list[Finding] = []
    for token in sorted(output):
        if token in evidence.tokens or _zipf(token) > 0 or len(token) < 6:
            continue
        pair = evidence.false_pair(token)
        if pair is not None:
            found.append(Finding(token, f"{pair[0]} {pair[1]}"))
    return found


class _RawEvidence(NamedTuple):
    """What the unrepaired source says about word forms."""

    tokens: Counter[str]  # letters-only tokens, plus forms joined across "x- y" breaks
    free: Counter[str]  # tokens seen right before punctuation
    text: str  # all raw paragraphs, lower-cased, one per line

    @classmethod
    def build(cls, raw: Sequence[tuple[str, str]]) -> _RawEvidence:
        text = "\n".join(t for _, t in raw).lower()
        tokens = Counter(_TOKEN.findall(text))
        tokens.update(a + b for a, b in _HYPHEN_BREAK.findall(text))
        free = Counter(_BEFORE_PUNCT.findall(text))
        return cls(tokens, free, text)

    def false_pair(self, token: str) -> tuple[str, str] | None:
        """The two words around a space in the raw spelling of `token`: a standalone left
        part (the raw text up to the space) and a common right part (Zipf >= 2.5)."""
        spelled = re.compile(
            r"(?<![^\W\d_])" + r"(?:-? )?".join(map(re.escape, token)) + r"(?![^\W\d_])"
        )
        for match in spelled.finditer(self.text):
            parts = match.group(0).split(" ")
            for i in range(1, len(parts)):
                left, right = "".join(parts[:i]), parts[i]
                if left.endswith("-") or _zipf(right) < SPLIT_WORD_ZIPF:
                    continue
                if _closes_known_tail(left, right):
                    continue
                if self.standalone(left):
                    return left, right
        return None

    def standalone(self, word: str) -> bool:
        """Can the left part of a split stand alone? (A right part must be a common word:
        a right fragment such as "zoeks" or "landse" may look like an inflection.)

        A word, an inflection of one, or a compound of a word and such a word
        ("achtergrond" + "kennis", "vlieg" + "operaties").
        """
        if self.compound_head(word):
            return False
        if self._inflected_word(word):
            return True
        return any(
            _first_part(word[:cut]) and self._inflected_word(word[cut:])
            for cut in range(3, len(word) - 3)
        )

    def _inflected_word(self, word: str) -> bool:
        if _zipf(word) >= SPLIT_WORD_ZIPF or self.free[word] > 0:
            return True
        stems = [word[: -len(end)] for end in ("s", "en", "e") if word.endswith(end)]
        return any(_zipf(stem) >= SPLIT_WORD_ZIPF or self.free[stem] > 0 for stem in stems)

    def compound_head(self, word: str) -> bool:
        """A linking-s form that begins 2+ distinct longer raw tokens ("onderzoeks")."""
        if not word.endswith("s"):
            return False
        longer = {t for t in self.tokens if t.startswith(word) and len(t) >= len(word) + 3}
        return len(longer) >= 2


def _first_part(prefix: str) -> bool:
    """A compound's first part: a word, or a word plus the linking -s ("gevechts")."""
    return _zipf(prefix) >= SPLIT_WORD_ZIPF or (
        prefix.endswith("s") and _zipf(prefix[:-1]) >= SPLIT_WORD_ZIPF
    )


def _closes_known_tail(left: str, right: str) -> bool:
    """'evacuatiemogelijk' + 'heden': a tail of `left` (4+ letters) joins `right` into a
    word ('mogelijkheden'), so the join repaired a split compound."""
    return any(_zipf(left[cut:] + right) >= SPLIT_WORD_ZIPF for cut in range(1, len(left) - 3))


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
