"""Acronym definitions extracted from the report itself, and query expansion with them.

The matcher is Schwartz & Hearst (2003), "A simple algorithm for identifying abbreviation
definitions in biomedical text": the letters of the short form must appear, in order, in
the long form, the first one at the start of a word. A stricter variant is tried first:
the letters fall on word initials in order (`Disarmament, Demobilization and Reintegration
(DDR)`, skipping short lower-case function words), with later letters of a group inside
the same word (`Koninklijke Marechaussee (KMar)`). Both are applied to four generic
layouts: `long form (SF)`, `SF (long form)`, `(long form – SF)` / `(long form, SF)` and
`SF – long form`; a parenthesis like `(hierna ook: SF)` counts as `(SF)`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from index.analysis import fold

_PAREN = re.compile(r"\(([^()]{1,200})\)")
_SHORT = re.compile(r"^[A-Za-z][A-Za-z0-9\-&.]{1,9}$")
_DASH = re.compile(r"\s[–—-]\s")
_LIST_DEF = re.compile(r"\b([A-Za-z][A-Za-z0-9\-&]{1,9})\s[–—]\s([^,;:()–—\n]{3,120})")
_STOP_BEFORE = re.compile(r"[.;:!?()\[\]]")
_POSSESSIVE = re.compile(r"['’]s$")
_WORD_SPAN = re.compile(r"[^\s\-–—/]+")


def is_short_form(token: str) -> bool:
    """A plausible acronym: 2-10 chars, a letter first, at least two capitals."""
    token = _POSSESSIVE.sub("", token)
    return bool(_SHORT.match(token)) and sum(c.isupper() for c in token) >= 2


def match_long_form(short: str, candidate: str) -> str | None:
    """The shortest tail of `candidate` that defines `short`, or None.

    Word-initial matching first; Schwartz-Hearst's letter matching as the fallback.
    """
    strict = match_initials(short, candidate, tail=True)
    if strict and _plausible_strict(short, strict):
        return strict
    return _schwartz_hearst(short, candidate)


def match_initials(short: str, candidate: str, *, tail: bool) -> str | None:
    """Trailing (`tail`: the fewest) or leading (the most) words of `candidate` whose
    initials spell `short`: a long form before `(SF)` starts as late as possible, one
    after `SF –` or inside `SF (...)` runs as far as its letters allow."""
    letters = fold("".join(c for c in short if c.isalnum()))
    spans = [m.span() for m in _WORD_SPAN.finditer(candidate)]
    words = [(fold(candidate[a:b]), _skippable(candidate[a:b])) for a, b in spans]
    sizes = range(1, min(len(words), 3 * len(letters)) + 1)
    for n in sizes if tail else reversed(sizes):
        chosen = words[-n:] if tail else words[:n]
        if chosen and not chosen[0][1] and _fits(letters, tuple(chosen)):
            first, last = (spans[-n], spans[-1]) if tail else (spans[0], spans[n - 1])
            return candidate[first[0] : last[1]].strip(" ,–—-")
    return None


def _fits(letters: str, words: tuple[tuple[str, bool], ...]) -> bool:
    """Can `letters` be spelled by the words' initials (plus later letters inside a word)?"""
    if not words:
        return not letters
    if not letters:
        return False
    (word, skippable), rest = words[0], words[1:]
    if rest and skippable and _fits(letters, rest):
        return True
    if word[0] != letters[0]:
        return False
    return any(
        _is_subsequence(letters[1:j], word[1:]) and _fits(letters[j:], rest)
        for j in range(1, len(letters) + 1)
    )


def _skippable(word: str) -> bool:
    return len(word) <= 4 and word.islower() and word.isalpha()


def _is_subsequence(needle: str, haystack: str) -> bool:
    chars = iter(haystack)
    return all(c in chars for c in needle)


def _schwartz_hearst(short: str, candidate: str) -> str | None:
    s_idx, l_idx = len(short) - 1, len(candidate) - 1
    while s_idx >= 0:
        char = short[s_idx].lower()
        if not char.isalnum():
            s_idx -= 1
            continue
        while l_idx >= 0 and (
            candidate[l_idx].lower() != char
            or (s_idx == 0 and l_idx > 0 and candidate[l_idx - 1].isalnum())
        ):
            l_idx -= 1
        if l_idx < 0:
            return None
        l_idx -= 1
        s_idx -= 1
    start = candidate.rfind(" ", 0, l_idx + 1) + 1
    long_form = candidate[start:].strip(" ,–—-")
    return long_form if _plausible(short, long_form) else None


def _plausible_strict(short: str, long_form: str) -> bool:
    words = _WORD_SPAN.findall(long_form)
    return len(long_form) > len(short) and len(words) >= 2 and short not in words


def _plausible(short: str, long_form: str) -> bool:
    n_words = len(_WORD_SPAN.findall(long_form))
    return (
        len(long_form) > len(short)
        and n_words >= 2
        and short.lower() not in long_form.lower().split()
        and n_words <= len(short)
    )


def extract_glossary(texts: Iterable[str]) -> dict[str, str]:
    """Acronym -> long form, the most frequent definition per acronym, sorted by acronym."""
    found: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        flat = " ".join(text.split())
        for short, long_form in _definitions(flat):
            found[short][long_form] += 1
    return {short: forms.most_common(1)[0][0] for short, forms in sorted(found.items())}


def _definitions(text: str) -> Iterable[tuple[str, str]]:
    for match in _PAREN.finditer(text):
        inside = match.group(1).strip()
        yield from _long_then_short(text[: match.start()], inside)
        yield from _short_then_long(text[: match.start()], inside)
    for match in _LIST_DEF.finditer(text):
        yield from _forward(match.group(1), match.group(2))


def _long_then_short(before: str, inside: str) -> Iterable[tuple[str, str]]:
    short = _POSSESSIVE.sub("", inside.rsplit(":", 1)[-1].strip())
    if is_short_form(short):  # `long form (SF)`
        window = _STOP_BEFORE.split(before)[-1].split()
        candidate = " ".join(window[-min(len(short) + 5, 2 * len(short)) :])
        long_form = match_long_form(short, candidate)
        if long_form:
            yield short, long_form
        return
    pieces = re.split(r"\s[–—-]\s|,\s", inside)  # `(long form – SF)`, `(long form, SF)`
    short = _POSSESSIVE.sub("", pieces[-1].strip())
    if len(pieces) > 1 and is_short_form(short):
        long_form = match_long_form(short, " ".join(pieces[:-1]))
        if long_form:
            yield short, long_form


def _short_then_long(before: str, inside: str) -> Iterable[tuple[str, str]]:
    tokens = before.split()
    if not tokens or len(inside.split()) < 2:
        return
    short = _POSSESSIVE.sub("", tokens[-1])
    if is_short_form(short):  # `SF (long form)`
        yield from _forward(short, inside)


def _forward(short: str, after: str) -> Iterable[tuple[str, str]]:
    """`SF – long form`: the fewest leading words of `after` that define `short`."""
    short = _POSSESSIVE.sub("", short)
    if is_short_form(short):
        long_form = match_initials(short, after, tail=False)
        if long_form and _plausible_strict(short, long_form):
            yield short, long_form


class QueryExpander:
    """Adds long forms for acronyms in a query, and acronyms for long forms."""

    def __init__(self, glossary: Mapping[str, str], *, common_words: Iterable[str] = ()) -> None:
        common = set(common_words)
        self._exact = dict(glossary)
        # case-insensitive lookup only where the folded acronym is no ordinary word
        self._folded = {
            fold(k): v for k, v in glossary.items() if len(k) >= 3 and fold(k) not in common
        }
        self._long = {fold(v): k for k, v in glossary.items()}

    def long_forms(self, query: str) -> list[str]:
        """Long forms of the acronyms `query` uses (ASIFU -> All Source Information ...)."""
        added: list[str] = []
        for token in re.findall(r"[^\W_][\w\-’']*", query):
            token = _POSSESSIVE.sub("", token)
            long_form = self._exact.get(token) or self._folded.get(fold(token))
            if long_form:
                added.append(long_form)
        return list(dict.fromkeys(added))

    def acronyms(self, query: str) -> list[str]:
        """Acronyms of the long forms `query` spells out (... Task Group -> LRRPTG)."""
        folded_query = " ".join(fold(query).split())
        return [short for long_form, short in self._long.items() if long_form in folded_query]

    def expansions(self, query: str) -> list[str]:
        """Both directions, without duplicates."""
        return list(dict.fromkeys(self.long_forms(query) + self.acronyms(query)))
