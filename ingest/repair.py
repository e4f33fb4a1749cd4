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
from bisect import bisect_left
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
# A compound's last part cut by a split ("evacuatiemogelijk heden") is tried from the
# longest tail of at least this many letters after a first part of at least MIN_PREFIX.
MIN_TAIL = 4
MIN_PREFIX = 3
# A word a roman note mark is glued to must be at least this common unless the document
# attests it ("Chinooks", "sensoren"); names such as "Assimi" are not "Assim" + "i".
STEM_ZIPF = 2.0
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
# A letters-only token and what follows it: nothing (end of text), punctuation, or the
# next word (`next`), which makes the token "free" when it is a function word.
_FREE = re.compile(
    rf"(?<![\w’'-])(?P<word>{_LETTERS}+)(?=(?:\s*$|[.,;:!?)\]’”\"]|\s+(?P<next>{_LETTERS}+)\b))"
)
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
    `free` counts the occurrences of a token that stand alone: before punctuation, at the
    end of a text or before a function word ("rotaties." or "Chinooks en" — a word, not
    the first half of a compound).
    """

    counts: Counter[str] = field(default_factory=Counter)
    hyphen_heads: Counter[str] = field(default_factory=Counter)
    followers: dict[str, Counter[str]] = field(default_factory=dict)
    free: Counter[str] = field(default_factory=Counter)
    forms: list[str] = field(default_factory=list)

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
            for match in _FREE.finditer(text):
                word, follower = match.group("word"), match.group("next")
                if not follower or zipf(follower) >= RIGHT_FUNCTION_ZIPF:
                    lexicon.free[word.lower()] += 1
        lexicon.forms = sorted(lexicon.counts)
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

    def compounds_starting(self, head: str) -> int:
        """How many distinct document forms begin with `head` and go on for 3+ letters
        ("onderzoeksvraag", "onderzoeksteam" for "onderzoeks")."""
        head = head.lower()
        found = 0
        for form in self.forms[bisect_left(self.forms, head) :]:
            if not form.startswith(head):
                break
            found += len(form) >= len(head) + 3
        return found


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
    first = re.match(r"[\w’']+", line)
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
    if lexicon.hyphen_heads.get(left.lower(), 0) >= 1:  # "special forces-" + "capaciteit"
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
    rf"(?<![\w’'-])(?P<a>{_LETTERS}+(?:[’']{_LETTERS}+)?(?:-{_LETTERS}+)*)"
    rf" (?P<b>[a-zà-ÿ]{_LETTERS}*)(?![\w’'])"
)


class Join(NamedTuple):
    """One repaired split: `left` + `right` became `joined`."""

    left: str
    right: str
    joined: str


def split_join_verdict(left: str, right: str, lexicon: Lexicon, *, attested_only: bool) -> bool:
    """Should the adjacent tokens `left` `right` be one word?

    Two words (`is_word`) stay apart unless the document itself attests the joined form
    ("besluit vorming" with "besluitvorming" elsewhere; only with `attested_only`) or the
    left part only ever occurs before this right part (`Lexicon.bound_to`, "Veiligheids
    raad"). When a part is a fragment, the joined form must be attested
    (`_attested_join`). Never for acronyms or when a part is a function word
    (`LEFT_FUNCTION_ZIPF`, `RIGHT_FUNCTION_ZIPF`).
    """
    head = left.split("-")[-1]
    if not head or _acronym_like(head) or not right[:1].islower():
        return False
    if zipf(head) >= LEFT_FUNCTION_ZIPF or zipf(right) >= RIGHT_FUNCTION_ZIPF:
        return False
    joined = head + right
    if not (is_left_word(head, lexicon) and zipf(right) >= WORD_ZIPF):
        return len(joined) >= 5 and _attested_join(head, right, lexicon)
    if lexicon.bound_to(head, right) and zipf(joined) >= BOUND_JOIN_ZIPF:
        return True
    return attested_only and lexicon.count(joined) > 0


def is_left_word(part: str, lexicon: Lexicon) -> bool:
    """Can the left part of a pair stand on its own: a common Dutch word (`WORD_ZIPF`) or
    a token the document also uses on its own (`Lexicon.free`: "de rotaties.", "Chinooks
    en"), unless it is a linking-s compound half. (A right part is always followed by
    something, so only Zipf tells whether it is a word.)"""
    if zipf(part) >= WORD_ZIPF:
        return True
    return lexicon.free[part.lower()] > 0 and not _linking_s_head(part, lexicon)


def _attested_join(head: str, right: str, lexicon: Lexicon) -> bool:
    """A fragment join needs evidence for the whole: the joined form is known, or the
    left part is a linking-s compound half, or the joined form ends in a known word that
    the split cut ("evacuatiemogelijk heden": "mogelijkheden")."""
    if lexicon.known(head + right):
        return True
    if _linking_s_head(head, lexicon) and zipf(right) >= WORD_ZIPF and len(right) >= 4:
        return True
    return _tail_join(head, right, lexicon)


def _linking_s_head(head: str, lexicon: Lexicon) -> bool:
    """'Onderzoeks' in 'Onderzoeks aanpak': a rare form ending in the Dutch linking -s
    that the document only uses as a compound's first half — it begins other compounds
    ("onderzoeksvraag") and never stands alone. A plural ("rotaties", "Chinooks")
    stands alone somewhere ("de rotaties.", "Chinooks en") or begins no compound."""
    return (
        len(head) >= 5
        and head.endswith("s")
        and 0 < zipf(head) < WORD_ZIPF
        and lexicon.free[head.lower()] == 0
        and lexicon.compounds_starting(head) > 0
    )


def _tail_join(head: str, right: str, lexicon: Lexicon) -> bool:
    """Does `head`, itself no word, end in a known word (at least `MIN_TAIL` letters, after
    a known first part) whose join with `right` is attested? "evacuatiemogelijk heden":
    "evacuatie" + "mogelijk", and "mogelijkheden" is a word. Only the longest such tail
    is tried."""
    lower = head.lower()
    if zipf(lower) > 0 or lexicon.free[lower] > 0:
        return False
    for cut in range(MIN_PREFIX, len(lower) - MIN_TAIL + 1):
        prefix, tail = lower[:cut], lower[cut:]
        if zipf(tail) < WORD_ZIPF or not _known_first_part(prefix, lexicon):
            continue
        tail_joined = tail + right.lower()
        return lexicon.count(tail_joined) > 0 or zipf(tail_joined) >= WORD_ZIPF
    return False


def _known_first_part(prefix: str, lexicon: Lexicon) -> bool:
    """'evacuatie', 'verkennings' (linking -s after a known word): a compound's first part."""
    if zipf(prefix) >= WORD_ZIPF or lexicon.count(prefix) > 0:
        return True
    return prefix.endswith("s") and zipf(prefix[:-1]) >= WORD_ZIPF


def repair_split_words(
    text: str, lexicon: Lexicon, *, attested_only: bool
) -> tuple[str, list[Join]]:
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

_REF = r"(?:[ivxl]+\d{1,3}|[ivxl]+|\d{1,3})"
_AFTER_PUNCT = re.compile(
    rf"(?P<body>\S*?[^\W_][)’”'\]]*[.,;:!?)’”'\]])"
    rf"(?P<refs>{_REF}(?:,\s?{_REF})*)(?P<trail>[.,;:]?)(?=\s|$)"
)
# A word with a mark glued straight to its last letter: "sensorenxiii)", "passen123".
_AFTER_LETTER = re.compile(
    rf"(?P<body>\S*?[^\W_])(?P<refs>[ivxl]+|\d{{1,3}})(?P<more>(?:,\s?{_REF}(?=[\s.,;:]|$))*)"
    r"(?P<trail>[.,;:!?)’”'\]]*)(?=\s|$)"
)
_CLOSERS = ".,;:!?)’”'\"]"
_SPLIT_REF = re.compile(r"([ivxl]+)(\d+)$")
_LAST_WORD = re.compile(r"[^\W_]+(?:[’'][^\W_]+)*$")


def strip_note_refs(
    text: str, *, labels: frozenset[str], lexicon: Lexicon
) -> tuple[str, list[str]]:
    """Remove endnote marks glued to words; return the clean text and the marks found.

    A mark is an arabic number (1-3 digits) or a roman footnote label glued after
    punctuation that follows a word or a year ("missie.29", "brief.vi", "2013.i",
    "100-missies,i", "aansturen.xi, 74"), or glued straight to the last letter of a word
    (`glued_to_word`: "Chinooksxviii", "sensorenxiii)", "maanden186"), with any marks
    that follow it after a comma ("afschrikkingxli, 268"). Real numbers and
    names stay: "2014", "nr. 226", "paragraaf 2.1", "S/2021/519", "G5", "NH90", "Mali".
    """
    refs: list[str] = []

    def after_punct(match: re.Match[str]) -> str:
        body, marks, trail = match.group("body"), match.group("refs"), match.group("trail")
        found = _parse_refs(marks)
        if not _is_note_mark(body, found, labels=labels):
            return match.group(0)
        refs.extend(found)
        return body + trail

    def after_letter(match: re.Match[str]) -> str:
        token = match.group("body") + match.group("refs")
        cut = glued_to_word(token, labels=labels, lexicon=lexicon)
        if cut is None:
            return match.group(0)
        refs.append(token[cut:])
        more = match.group("more").lstrip(",").strip()
        refs.extend(_parse_refs(more) if more else [])
        return token[:cut] + match.group("trail")

    text = _AFTER_PUNCT.sub(after_punct, text)
    return _AFTER_LETTER.sub(after_letter, text), refs


def glued_to_word(token: str, *, labels: frozenset[str], lexicon: Lexicon) -> int | None:
    """Where a note mark glued to the last letter of `token` starts, or None.

    The whole word must not be attested ("Mali", "taxi" stay). Digits (1-3) are a mark
    after a word that is no acronym ("maanden186"; "G5", "NH90" stay): Dutch prose never
    glues a number to a word. A roman mark must be a footnote label from `labels` (the
    longest that fits) after an attested word (`_attested_stem`: "sensorenxiii",
    "missierichtlijnenii", not "Assimi") or after an acronym the document uses or a code
    ("UNDSSxvi", "IPO’si", "U2xiii").
    """
    bare = token.rstrip("0123456789")
    stem = _LAST_WORD.search(bare)
    if stem is None:
        return None
    if len(bare) < len(token):
        word = stem.group(0)
        return len(bare) if word.isalpha() and len(word) >= 3 and not _acronym_like(word) else None
    if zipf(stem.group(0)) > 0 or lexicon.count(stem.group(0)) > 1:
        return None
    start = stem.start()
    for cut in range(start + 1, len(token)):
        mark, word = token[cut:], token[start:cut]
        if is_roman(mark) and mark in labels and _attested_stem(word, lexicon):
            return cut
    return None


def _parse_refs(marks: str) -> list[str]:
    found: list[str] = []
    for piece in re.split(r",\s?", marks):
        split = _SPLIT_REF.match(piece)
        found.extend([split.group(1), split.group(2)] if split else [piece])
    return found


def _is_note_mark(body: str, found: list[str], *, labels: frozenset[str]) -> bool:
    """Marks after punctuation: footnote labels or numbers, after a word, a year or a
    closing bracket ('missie.29', '2016.ii', '(zie Figuur 2).13')."""
    if any(not (ref.isdigit() or (is_roman(ref) and ref in labels)) for ref in found):
        return False
    core = body.rstrip(_CLOSERS)
    closers = body[len(core) :]
    if any(ref.isdigit() for ref in found) and not _may_carry_number(core, closers):
        return False
    return len(core) >= 2 or any(c in closers for c in ")’”'\"]")


def _attested_stem(word: str, lexicon: Lexicon) -> bool:
    """A word a roman mark may be glued to: an acronym the document uses elsewhere, or
    3+ letters that are a document token, a Dutch word (`STEM_ZIPF`), or a compound of a
    known first part and a Dutch word ("mortierincident", "missierichtlijnen")."""
    if _acronym_like(word):  # "UNDSS" used elsewhere; a code such as "U2" always
        return lexicon.count(word) > 0 or any(c.isdigit() for c in word)
    if len(word) < 3:
        return False
    if lexicon.count(word) > 0 or zipf(word) >= STEM_ZIPF:
        return True
    return any(
        zipf(word[cut:]) >= WORD_ZIPF and _known_first_part(word[:cut].lower(), lexicon)
        for cut in range(MIN_PREFIX, len(word) - MIN_TAIL + 1)
    )


def _may_carry_number(core: str, closers: str) -> bool:
    """'missie.' or '2016.' or '(zie Figuur 2).' may carry an endnote number; '2.' in
    'paragraaf 2.1' or 'nr.' before a number may not."""
    if any(c in closers for c in ")’”'\"]"):
        return True
    if re.search(r"(?<!\d)\d{4}$", core):
        return True
    return core[-2:].isalpha() and len(core) >= 2
