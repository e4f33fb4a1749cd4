"""The parts of a claim the lookup checks one by one: its clauses, numbers and names.

Words are matched "softly": a claim word also matches a report word sharing a long prefix
(Britten/Britse, rotation/rotatietijd: inflections and English-Dutch cognates the stemmer
keeps apart).

A briefing claim often joins a true statement to one the report does not make ("..., dat
tegelijk ook de helikopters overnam"); split into clauses, the true part can be shown as
supported and the rest as not. Numbers and names are the parts a distorted claim changes
(218 for 128 interviews, Zweden for Duitsland): a passage that lacks one of them does not
support the claim, however similar its wording.

Three signals tell a distorted claim from a supported one when its wording is close to a
passage (each compares the claim with its aligned evidence, the matched span):
- polarity: one of the two is negated (`niet`, `geen`, `nooit`, `not`) and the other not;
- quantifier: the claim says `alle`, `altijd`, `volledig`, `nooit` ... and the evidence
  has no such word, or only a hedged one (`vrijwel alle`, `niet altijd`);
- replacement: a name or number of the claim that the passage lacks stands where the span
  has another one (the same neighbouring words): `Zweedse eenheid` for `Britse eenheid`,
  `drie militairen` for `twee militairen`. A name or number merely absent is an added
  detail (a partial claim), not a contradiction.
Numbers are compared as values: `veertien` is 14, `four` is 4.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache

from bm25s.stopwords import STOPWORDS_EN
from text_to_num import alpha2digit

from index.analysis import STOPWORDS, fold, words
from index.cues import function_words
from ingest.sentences import split_sentences
from service.evidence import informativeness

MIN_PREFIX = 4  # a soft match shares at least this many leading characters ...
PREFIX_SHARE = 0.5  # ... and at least this share of the longer word
MIN_CLAUSE_WORDS = 2  # content words of a clause; a shorter piece is a list item
MATCH_CACHE = 50_000  # words whose soft matches are kept (the cache is emptied when full)

# Clause boundaries: , ; : and the conjunctions that join statements (Dutch and English).
_CLAUSE_BREAK = re.compile(
    r"\s*[,;:]\s+|\s+(?:en|maar|terwijl|want|doch|and|but|while|whereas)\s+", re.IGNORECASE
)
# A digit run, but not an ordinal's (text2num writes derde 3e, second 2nd): no count.
_NUMBER = re.compile(r"\d+(?!\d|(?:e|de|ste|st|nd|rd|th)\b)")
_PART = re.compile(r"[,;:–]")  # the parts of a sentence a negation is taken to stand in
# Number words are read by text2num's parser in the text's language (index/cues.py): twee ->
# 2, negenentwintig -> 29, jaren negentig -> 90, twenty-nine -> 29; a word table missed
# compounds and read Dutch "ten minste" as 10. Below this value a lone word stays a word
# (`een`/`one`: articles and pronouns far more often than counts).
SMALLEST_NUMBER_WORD = 2
NEGATIONS = frozenset(
    {"niet", "geen", "nooit", "niets", "niemand", "nergens", "noch"}
    | {"not", "no", "never", "nothing", "none", "nobody", "nor", "cannot"}
)
# Universal and absolute words, affirmative and negative: `elk jaar` is not licensed by
# `nooit`, nor `nooit` by `alle`.
UNIVERSALS = frozenset(
    {"alle", "allen", "alles", "altijd", "volledig", "volledige", "geheel", "gehele", "hele"}
    | {"elk", "elke", "ieder", "iedere", "telkens", "uitsluitend", "volkomen"}
    | {"all", "always", "every", "each", "whole", "fully", "entirely", "completely"}
)
NEGATIVE_UNIVERSALS = frozenset(
    {"nooit", "niets", "niemand", "nergens", "never", "nothing", "nobody", "none"}
)
HEDGES = frozenset(
    {"vrijwel", "nagenoeg", "bijna", "haast", "grotendeels", "niet", "nauwelijks"}
    | {"almost", "nearly", "virtually", "largely", "mostly", "not"}
)
CONTEXT = 2  # content words on each side that place a name or number in its sentence
_FUNCTION_WORDS = STOPWORDS | frozenset(STOPWORDS_EN)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)  # "IPO's" is one word ...
_POSSESSIVE = re.compile(r"['’]s$")  # ... and its name is "ipo", as the report's words have it


@dataclass(frozen=True, slots=True)
class Clause:
    """A clause of a claim and where it sits in the claim's text."""

    text: str
    start: int
    end: int


def split_clauses(claim: str) -> list[Clause]:
    """The claim's clauses, in order: pieces between the breaks with at least MIN_CLAUSE_WORDS
    content words. A shorter piece is an item of a list (`Bamako, Gao en Timboektoe`,
    `kaneel en rozijnen`), not a statement: it stays with the piece before it (or after it,
    when it comes first), so that a lone word's similarity is never judged as a clause's."""
    pieces = []
    start = 0
    for cut in [*_CLAUSE_BREAK.finditer(claim), None]:
        end = len(claim) if cut is None else cut.start()
        piece = claim[start:end].strip().rstrip(".!?")
        if any(ch.isalnum() for ch in piece):
            at = claim.index(piece, start)
            pieces.append((at, at + len(piece)))
        if cut is not None:
            start = cut.end()
    spans: list[tuple[int, int]] = []
    for at, end in pieces:
        if spans and (_list_item(claim, at, end) or _list_item(claim, *spans[-1])):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((at, end))
    return [Clause(claim[at:end], at, end) for at, end in spans]


def _list_item(claim: str, start: int, end: int) -> bool:
    """Is a piece of a claim too short to be a clause (fewer than MIN_CLAUSE_WORDS content
    words, none of them a name or number, which the lookup checks on their own)?"""
    text = claim[start:end]
    if names_in(claim, start=start, end=end) or numbers_of(text):
        return False
    return len(_content(text)) < MIN_CLAUSE_WORDS


@lru_cache(maxsize=4096)
def with_digits(text: str) -> str:
    """`text` with its number words written as digits (`SMALLEST_NUMBER_WORD`), read as
    English or Dutch by its function words; as both when they tie ("four Apaches")."""
    english, dutch = function_words(text)
    languages = ("en",) if english > dutch else ("nl",) if dutch > english else ("nl", "en")
    for language in languages:
        text = alpha2digit(text, language, threshold=SMALLEST_NUMBER_WORD)
    return text


def numbers_of(text: str) -> set[str]:
    """The numbers of `text` as digits: digit runs (2016, 128) and number words (veertien,
    negenentwintig)."""
    return set(_NUMBER.findall(with_digits(text)))


def negated(text: str) -> bool:
    """Does `text` hold a negation (`niet`, `geen`, `nooit`, `not`, `never`)?"""
    return not NEGATIONS.isdisjoint(words(text))


def polarity_differs(claim: str, sentence: str, same: Callable[[str, str], bool]) -> bool:
    """Is one of the claim and its aligned evidence sentence negated and the other not?

    A negation counts where it is about what the two share: in a part of its sentence
    (between commas) with a content word that the other side also has, so that `bleek
    niet te realiseren` after a restated plan does not negate the plan."""
    ours, theirs = _content(claim), _content(sentence)

    def about_shared(text: str, other: set[str], claim_side: bool) -> bool:
        for part in _PART.split(text):
            if not negated(part):
                continue
            mine = _content(part)
            pairs = ((a, b) if claim_side else (b, a) for a in mine for b in other)
            if any(same(a, b) for a, b in pairs):
                return True
        return False

    return about_shared(claim, theirs, True) != about_shared(sentence, ours, False)


def _content(text: str) -> set[str]:
    return {w for w in words(text) if w not in _FUNCTION_WORDS}


def universals(text: str) -> set[str]:
    """The kinds ("all", "none") of the universal or absolute words of `text` not hedged
    by the word before them (`alle`, `altijd`, `nooit`; not `vrijwel alle`, `niet altijd`)."""
    tokens = words(text)
    found = set()
    for i, w in enumerate(tokens):
        if i > 0 and tokens[i - 1] in HEDGES:
            continue
        if w in UNIVERSALS:
            found.add("all")
        elif w in NEGATIVE_UNIVERSALS:
            found.add("none")
    return found


def aligned(terms: SoftTerms, evidence: str) -> str:
    """The sentence of the evidence that covers most of the claim's words (`terms`, soft
    coverage): where polarity is compared, so that a `niet` in a neighbouring sentence
    does not count. (Clauses are too short: `geen verband tussen A en B` splits.)"""
    sentences = split_sentences(evidence) or [evidence]
    return max(sentences, key=lambda s: terms.coverage(set(words(s))))


def overstates(claim: str, evidence: str) -> bool:
    """True when the claim says `alle`, `altijd`, `volledig`, `nooit` ... and the evidence
    has no unhedged word of that kind."""
    return not universals(claim) <= universals(evidence)


@dataclass(frozen=True, slots=True)
class _Token:
    word: str  # folded; a number as its digits
    kind: str  # "name", "number", "year", "word" (a content word) or "" (a function word)
    part: int  # which part of the sentence (between commas) it stands in


def _tokens(text: str) -> list[_Token]:
    out = []
    first = True
    for part, piece in enumerate(_PART.split(with_digits(text))):
        for match in _WORD.finditer(piece):
            raw = match.group()
            word = _POSSESSIVE.sub("", fold(raw))
            if word.isdigit():  # number words are digits already (`with_digits`)
                kind = "year" if len(word) == 4 and word[:2] in {"19", "20"} else "number"
            elif word in _FUNCTION_WORDS:
                kind = ""
            elif raw[0].isupper() and (not first or sum(ch.isupper() for ch in raw) > 1):
                kind = "name"
            else:
                kind = "word"
            out.append(_Token(word, kind, part))
            first = False
    return out


def _context(tokens: list[_Token], at: int) -> set[str]:
    """The CONTEXT content words (names and numbers included) on each side of `at`, within
    its part of the sentence."""
    found: set[str] = set()
    for step in (-1, 1):
        i, taken = at + step, 0
        while 0 <= i < len(tokens) and taken < CONTEXT and tokens[i].part == tokens[at].part:
            if tokens[i].kind:
                found.add(tokens[i].word)
                taken += 1
            i += step
    return found


def replaced(
    claim: str,
    evidence: str,
    missing: Iterable[str],
    same: Callable[[str, str], bool],
    *,
    setting: Collection[str] = (),
) -> bool:
    """Does a `missing` name or number of the claim (one the passage lacks) stand where the
    evidence has another one of its kind, not in the claim nor a `setting` name (Mali,
    MINUSMA), with a neighbouring word in common (`same` compares two folded words)?"""
    lost = set(missing)
    ours = _tokens(claim)
    theirs = _tokens(evidence)
    own = {t.word for t in ours}
    for i, token in enumerate(ours):
        if token.word not in lost or token.kind not in {"name", "number", "year"}:
            continue
        around = _context(ours, i)
        for j, other in enumerate(theirs):
            if other.kind != token.kind or other.word in own or other.word in setting:
                continue
            if any(same(a, b) for a in around for b in _context(theirs, j)):
                return True
    return False


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
        self._seen: dict[str, frozenset[str]] = {}

    def matches(self, word: str) -> frozenset[str]:
        """`word` itself plus the report words that share a prefix long enough with it."""
        found = self._seen.get(word)
        if found is None:
            if len(self._seen) >= MATCH_CACHE:
                self._seen.clear()
            found = self._seen[word] = self._match(word)
        return found

    def _match(self, word: str) -> frozenset[str]:
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
