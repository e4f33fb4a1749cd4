"""Repair PDF-to-text damage from evidence: line-end hyphenation, words split by a stray
space, and endnote marks glued to words.

Every decision is made from two sources of evidence, never from a list of this report's
words: the document itself (a `Lexicon` of the tokens it contains, so "Buitenlandse"
written whole somewhere vouches for "Buiten landse" elsewhere) and the Dutch word
frequencies of the `wordfreq` package (`zipf_frequency(w, "nl")`, 0 for unknown words,
about 3 for an ordinary word, 7+ for "de", "en").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from wordfreq import zipf_frequency

# A part with a Zipf frequency below this is not a word on its own ("landse", "zoeks").
WORD_ZIPF = 3.0
# Function words: a split is never repaired when the left part is this frequent ("de",
# "in", "op") or the right part is ("en", "de", "te") — "capaciteit en" is two words
# even though "capaciteiten" is one, and "op lopende operaties" is not "oplopende".
LEFT_FUNCTION_ZIPF = 7.1
RIGHT_FUNCTION_ZIPF = 6.5
# A left part that only ever occurs before the same right part joins it when the joined
# form is at least this frequent in Dutch ("Veiligheids raad" -> "Veiligheidsraad").
BOUND_JOIN_ZIPF = 2.0
# ... and only for a rare left part seen at least twice: "ten slotte" once in a short
# text is not evidence that "ten" is a fragment.
BOUND_LEFT_MAX_ZIPF = 4.5
# Words that follow a suspended hyphen ("politie- en KMar-bijdrage", "zowel X- als Y").
SUSPENSION_WORDS = frozenset({"en", "of", "als", "tot", "noch", "dan", "c.q.", "en/of"})
# Vowel pairs that Dutch spelling separates with a hyphen in a compound
# ("stabilisatie-inspanning", "zee-egel"): joined they would read as one sound.
_VOWEL_CLASH = frozenset(
    {"aa", "ae", "ai", "au", "ee", "ei", "eu", "ie", "oe", "oi", "oo", "ou", "ui", "ii", "uu"}
)

_LETTERS = r"[^\W\d_]"
_TOKEN = re.compile(rf"{_LETTERS}+(?:[’']{_LETTERS}+)?(?:-{_LETTERS}+(?:[’']{_LETTERS}+)?)*")
_SPACES = re.compile(r"[ \t\u00a0]+")
_ROMAN = re.compile(r"(?=[ivxlc])(c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}


@lru_cache(maxsize=200_000)
def zipf(word: str) -> float:
    """The Dutch Zipf frequency of `word` (lower-cased); 0.0 for an unknown word."""
    return zipf_frequency(word.lower(), "nl")


def is_roman(text: str) -> bool:
    """True for a lower-case roman numeral label such as "iv" or "xxxv"."""
    return bool(text) and _ROMAN.fullmatch(text) is not None


def roman_value(text: str) -> int:
    """The integer value of a lower-case roman numeral (`is_roman` must hold)."""
    total = 0
    for i, char in enumerate(text):
        value = _ROMAN_VALUES[char]
        following = _ROMAN_VALUES[text[i + 1]] if i + 1 < len(text) else 0
        total += -value if value < following else value
    return total


@dataclass
class Lexicon:
    """How often each word form (lower-cased) occurs in the document.

    A hyphenated token counts as itself and as each of its parts, so "VN-besluitvorming"
    attests "besluitvorming" too. `hyphen_heads` counts the distinct hyphenated tokens
    that start with a given part ("niet-" in "niet-westerse", "niet-militaire").
    """

    counts: Counter[str] = field(default_factory=Counter)
    hyphen_heads: Counter[str] = field(default_factory=Counter)
    followers: dict[str, Counter[str]] = field(default_factory=dict)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Lexicon:
        lexicon = cls()
        seen_hyphenated: set[str] = set()
        for text in texts:
            for token in _TOKEN.findall(text):
                lower = token.lower()
                lexicon.counts[lower] += 1
                if "-" in lower:
                    for part in lower.split("-"):
                        lexicon.counts[part] += 1
                    if lower not in seen_hyphenated:
                        seen_hyphenated.add(lower)
                        lexicon.hyphen_heads[lower.split("-")[0]] += 1
            for match in re.finditer(rf"(?<![\w’'-])({_LETTERS}+)(?=(\s+\S*|\s*$))", text):
                follower = re.sub(r"[^\w’'-].*$", "", match.group(2).strip()).lower()
                lexicon.followers.setdefault(match.group(1).lower(), Counter())[follower] += 1
        return lexicon

    def bound_to(self, left: str, right: str) -> bool:
        """Is every occurrence of the token `left` followed by the token `right`?

        Such a "word" only exists as the first half of `left + right`
        ("Veiligheids raad" when "Veiligheids" never occurs otherwise). Needs two sightings
        and a left part that is not a common word (`BOUND_LEFT_MAX_ZIPF`).
        """
        following = self.followers.get(left.lower())
        if following is None or set(following) != {right.lower()}:
            return False
        return following[right.lower()] >= 2 and zipf(left) < BOUND_LEFT_MAX_ZIPF

    def count(self, word: str) -> int:
        return self.counts.get(word.lower(), 0)

    def known(self, word: str) -> bool:
        """Attested in the document or listed in the Dutch word list."""
        return self.count(word) > 0 or zipf(word) > 0


# --- line joining and line-end hyphenation ------------------------------------------------


def join_lines(lines: Sequence[str], lexicon: Lexicon) -> str:
    """Join the physical lines of one paragraph into one line of text.

    A line ending in a hyphen after a letter is a line-end break: joined without the
    hyphen ("wenselijk-" + "heid"), or with it when it is a real hyphen ("VN-" +
    "missie", "KMar-" + "functionarissen"), or kept with its space when it is a
    suspended hyphen ("politie-" + "en KMar"). See `keep_line_end_hyphen`.
    """
    text = ""
    for raw in lines:
        line = _SPACES.sub(" ", raw).strip()
        if not line:
            continue
        text = _append_line(text, line, lexicon) if text else line
    return text


def _append_line(text: str, line: str, lexicon: Lexicon) -> str:
    if text.endswith("/"):
        return text + line
    head = re.search(rf"({_LETTERS}[\w’']*)-$", text)
    if not head:
        return f"{text} {line}"
    first = re.match(rf"[\w’']+", line)
    if first is None:
        return f"{text} {line}"
    left = head.group(1).split("-")[-1]
    verdict = line_end_hyphen(left, first.group(0), lexicon)
    if verdict == "join":
        return text[:-1] + line
    if verdict == "keep":
        return text + line
    return f"{text} {line}"


def line_end_hyphen(left: str, right: str, lexicon: Lexicon) -> str:
    """Decide a hyphen at a line end between `left` and `right`.

    Returns "join" (drop the hyphen), "keep" (a real hyphen: keep it, no space) or
    "suspend" (a suspended hyphen: keep it and the space).
    """
    if right.lower() in SUSPENSION_WORDS:
        return "suspend"
    if _acronym_like(left) or not right[:1].islower():
        return "keep"
    joined, hyphenated = left + right, f"{left}-{right}"
    if lexicon.count(hyphenated) > lexicon.count(joined):
        return "keep"
    if lexicon.known(joined):
        return "join"
    if left[-1:].lower() + right[:1].lower() in _VOWEL_CLASH:
        return "keep"
    if lexicon.hyphen_heads.get(left.lower(), 0) >= 2:
        return "keep"
    return "join"


def _acronym_like(word: str) -> bool:
    """'VN', 'KMar', 'ISR', '100': parts that Dutch always links with a hyphen."""
    return any(c.isdigit() for c in word) or any(c.isupper() for c in word[1:])


_MIDLINE_BREAK = re.compile(rf"({_LETTERS})- ({_LETTERS}[\w’']*)")


def repair_midline_hyphens(text: str) -> str:
    """'EU- lidstaten' -> 'EU-lidstaten'; a suspended hyphen ('politie- en') is kept."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(2)
        if word.lower() in SUSPENSION_WORDS or not word[0].islower() or zipf(word) >= 6.0:
            return match.group(0)  # "politie- en KMar", "zowel X- maar ook", "gebeuren- met"
        return f"{match.group(1)}-{word}"

    return _MIDLINE_BREAK.sub(fix, text)


# --- words split by a stray space ---------------------------------------------------------

_PAIR = re.compile(
    rf"(?<![\w’'-])(?P<a>{_LETTERS}+(?:[’']{_LETTERS}+)?(?:-{_LETTERS}+)*) (?P<b>[a-zà-ÿ]{_LETTERS}*)"
    rf"(?![\w’'])"
)


class Join(NamedTuple):
    """One repaired split: `left` + `right` became `joined`."""

    left: str
    right: str
    joined: str


def split_join_verdict(left: str, right: str, lexicon: Lexicon, *, attested_only: bool) -> bool:
    """Should the adjacent tokens `left` `right` be one word?

    Yes when the joined form is a known word (in the document or the Dutch list) and at
    least one part is not a word on its own (`WORD_ZIPF`), or — with `attested_only` —
    when both parts are words but the joined form is attested in the document itself
    ("besluit vorming" with "besluitvorming" elsewhere). Two special cases of the first
    rule: a left part that only ever occurs before this right part (`Lexicon.bound_to`),
    and a linking-s first part ("Onderzoeks aanpak"). Never for acronyms or when a part is
    a function word (`LEFT_FUNCTION_ZIPF`, `RIGHT_FUNCTION_ZIPF`).
    """
    head = left.split("-")[-1]
    if not head or _acronym_like(head) or not right[:1].islower():
        return False
    if zipf(head) >= LEFT_FUNCTION_ZIPF or zipf(right) >= RIGHT_FUNCTION_ZIPF:
        return False
    joined = head + right
    fragment = zipf(head) < WORD_ZIPF or zipf(right) < WORD_ZIPF
    if fragment:
        known = lexicon.known(joined) or _linking_s_compound(head, right)
        return known and len(head) + len(right) >= 5
    if lexicon.bound_to(head, right) and zipf(joined) >= BOUND_JOIN_ZIPF:
        return True
    return attested_only and lexicon.count(joined) > 0


def _linking_s_compound(head: str, right: str) -> bool:
    """'Onderzoeks aanpak': a known first part ending in the Dutch linking -s that is not a
    word on its own, before a real word, is the first half of a compound."""
    return (
        len(head) >= 5
        and head.endswith("s")
        and 0 < zipf(head) < WORD_ZIPF
        and len(right) >= 4
        and zipf(right) >= WORD_ZIPF
    )


def repair_split_words(text: str, lexicon: Lexicon, *, attested_only: bool) -> tuple[str, list[Join]]:
    """Join the split words of `text` left to right; return the text and the joins made.

    After a join the joined word is tried again with the next token, so three-part
    splits ("Onder zoeks aanpak") close in one pass when the evidence allows.
    """
    joins: list[Join] = []
    pos = 0
    while (match := _PAIR.search(text, pos)) is not None:
        left, right = match.group("a"), match.group("b")
        if split_join_verdict(left, right, lexicon, attested_only=attested_only):
            text = text[: match.start("a")] + left + right + text[match.end("b") :]
            joins.append(Join(left, right, left + right))
            pos = match.start("a")
        else:
            pos = match.start("b")
    return text, joins


def repair_split_words_everywhere(
    texts: Sequence[str], *, max_rounds: int = 6
) -> tuple[list[str], list[Join]]:
    """Repair split words across a whole document, re-reading the evidence each round.

    Round structure: fragment joins only (one part is not a word), until stable; then one
    pass that also joins two words whose joined form the (partly repaired) document
    attests. Rebuilding the lexicon between passes matters: "totstand koming" first
    becomes "totstandkoming", after which "totstand" is no longer evidence for turning
    the phrase "tot stand" into one word.
    """
    current = list(texts)
    all_joins: list[Join] = []
    for _ in range(max_rounds):
        changed = False
        for attested_only in (False, True):
            lexicon = Lexicon.from_texts(current)
            repaired: list[str] = []
            for text in current:
                new, joins = repair_split_words(text, lexicon, attested_only=attested_only)
                repaired.append(new)
                all_joins.extend(joins)
                changed = changed or bool(joins)
            current = repaired
        if not changed:
            break
    return current, all_joins


# --- endnote marks glued to words ---------------------------------------------------------

_REF = r"(?:[ivx]+\d{1,3}|[ivx]+|\d{1,3})"
_AFTER_PUNCT = re.compile(
    rf"(?P<body>\S*?[^\W_][)’”'\]]*[.,;:!?)’”'\]])"
    rf"(?P<refs>{_REF}(?:,\s?{_REF})*)(?P<trail>[.,;:]?)(?=\s|$)"
)
_AFTER_LETTER = re.compile(rf"(?P<body>\S*?{_LETTERS})(?P<refs>[ivx]+)(?P<trail>[.,;:]?)(?=\s|$)")
_CLOSERS = ".,;:!?)’”'\"]"
_SPLIT_REF = re.compile(r"([ivx]+)(\d+)$")


def strip_note_refs(text: str, *, labels: frozenset[str], lexicon: Lexicon) -> tuple[str, list[str]]:
    """Remove endnote marks glued to words; return the clean text and the marks in order.

    A mark is an arabic number (1-3 digits) or a roman footnote label glued after
    punctuation that follows a word or a year ("missie.29", "brief.vi", "2013.i",
    "100-missies,i", "aansturen.xi, 74"), or a roman label from `labels` glued straight to a
    word the document attests without it ("Chinooksxviii" when "Chinooks" occurs). Real
    numbers stay: "2014", "nr. 226", "paragraaf 2.1", "S/2021/519".
    """
    refs: list[str] = []

    def fix(match: re.Match[str]) -> str:
        body, marks, trail = match.group("body"), match.group("refs"), match.group("trail")
        found = _parse_refs(marks)
        if not _is_note_mark(body, found, labels=labels, lexicon=lexicon, whole=match.group(0)):
            return match.group(0)
        refs.extend(found)
        return body + trail

    text = _AFTER_PUNCT.sub(fix, text)
    return _AFTER_LETTER.sub(fix, text), refs


def _parse_refs(marks: str) -> list[str]:
    found: list[str] = []
    for piece in re.split(r",\s?", marks):
        split = _SPLIT_REF.match(piece)
        found.extend([split.group(1), split.group(2)] if split else [piece])
    return found


def _is_note_mark(
    body: str, found: list[str], *, labels: frozenset[str], lexicon: Lexicon, whole: str
) -> bool:
    if any(not (ref.isdigit() or (is_roman(ref) and ref in labels)) for ref in found):
        return False
    core = body.rstrip(_CLOSERS)
    closers = body[len(core) :]
    if closers:
        if any(ref.isdigit() for ref in found) and not _may_carry_number(core, closers):
            return False
        return len(core) >= 2 or any(c in closers for c in ")’”'\"]")
    # glued straight to a letter: only a footnote label, only when the bare word is attested
    if any(ref.isdigit() for ref in found) or not body[-1:].isalpha():
        return False
    return lexicon.count(body) > 0 and lexicon.count(whole.rstrip(".,;:")) <= 1 and zipf(whole) == 0


def _may_carry_number(core: str, closers: str) -> bool:
    """'missie.' or '2016.' or '(zie Figuur 2).' may carry an endnote number; '2.' in
    'paragraaf 2.1' or 'nr.' before a number may not."""
    if any(c in closers for c in ")’”'\"]"):
        return True
    if re.search(r"(?<!\d)\d{4}$", core):
        return True
    return core[-2:].isalpha() and len(core) >= 2
