"""Citations: reference formatting, the verbatim check, and looking a claim up in the report.

A pasted quote is found exactly even when line breaks, spaces or hyphenation differ: texts
are compared in a normal form (letters and digits only, case- and accent-folded) and the
match is mapped back to the passage's own characters through an offset map.

A reworded claim is looked up by re-ranking candidate passages (hybrid and dense search,
plus the report's recommendations when the claim says something is recommended) by their
best sentence or pair of adjacent sentences. A span is scored by its cosine with the claim,
the idf-weighted share of the claim's analysed terms it contains, and a "soft" share of the
claim's words it contains, where a word also matches a report word sharing a long prefix
(Britten/Britse, rotation/rotatietijd: inflections and English-Dutch cognates the stemmer
keeps apart). Weights were chosen on eval/gold/claims.jsonl (bench/calibrate_cite.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from index.analysis import fold, words
from index.models import Hit
from ingest.models import Passage, PassageKind
from ingest.sentences import split_sentences
from service.evidence import EvidenceScorer, QueryTerms, informativeness, speaks_of_recommendations

if TYPE_CHECKING:
    from index.hybrid import HybridIndex

REPORT_REFERENCE = "IOB (2022), Evaluatie van de Nederlandse bijdrage aan MINUSMA 2014-2019"
TITLE_LIMIT = 30  # characters of a section title kept in a reference before "…"
MIN_EXACT_CHARS = 12  # a normalised claim shorter than this is not looked up verbatim
HYBRID_DEPTH = 40  # hybrid-search candidates for a claim not found verbatim
DENSE_DEPTH = 20  # dense-search candidates (paraphrases BM25 misses: gold claim top-3 +1)
# A candidate passage's rank score: its best span's
#   SPAN_DENSE x cosine + SPAN_LEXICAL x term coverage + SPAN_SOFT x soft word coverage,
# plus PASSAGE_DENSE x the passage's own cosine (the whole passage's embedding often knows
# a paraphrase no single sentence does), PASSAGE_LEXICAL x the passage's term coverage and
# RECOMMENDATION_CUE for a recommendation when the claim speaks of one. Chosen by a grid
# search of top-3 support on the 34 supported gold claims (0.88 -> 0.97; leave-one-out
# 0.91) together with the 142 gold questions' reference answers looked up as claims
# (0.965 -> 0.958: a check that the weights do not merely fit the claims).
SPAN_DENSE = 0.15
SPAN_LEXICAL = 0.0
SPAN_SOFT = 0.5
PASSAGE_DENSE = 0.5
PASSAGE_LEXICAL = 0.25
RECOMMENDATION_CUE = 0.2
# How well a span supports the claim (the verdict and each match's `score`): weights of
# soft coverage, term coverage and cosine. Grid-searched with the verdict thresholds.
SUPPORT_WEIGHTS = (0.5, 0.25, 0.25)
VERDICT_DEPTH = 3  # the verdict weighs this many matches, whatever top_k the caller asks for
MIN_PREFIX = 4  # a soft match shares at least this many leading characters ...
PREFIX_SHARE = 0.5  # ... and at least this share of the longer word
_NUMBER = re.compile(r"\d+")

Verdict = Literal["supported", "partial", "not_found"]


def short_title(title: str, *, limit: int = TITLE_LIMIT) -> str:
    """Cut a section title at a word boundary within `limit` characters, marking the cut."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    kept = ""
    for word in title.split(" "):
        candidate = f"{kept} {word}" if kept else word
        if len(candidate) > limit:
            break
        kept = candidate
    kept = (kept or title[:limit]).rstrip(",;:.-– ")
    return f"{kept}…"


def locator(passage: Passage) -> str:
    """Where in its section a passage is: paragraph, footnote or finding number."""
    if passage.kind is PassageKind.FOOTNOTE and passage.label:
        return f"voetnoot {passage.label}"
    if passage.kind is PassageKind.FINDING and passage.label:
        return f"bevinding {passage.label}"
    if passage.kind is PassageKind.RECOMMENDATION and passage.label:
        return f"aanbeveling bij bevinding {passage.label}"
    return f"alinea {passage.paragraph}"


def format_citation(passage: Passage) -> str:
    """A ready-to-paste reference to a passage of the report."""
    parts = [REPORT_REFERENCE, _place(passage), locator(passage)]
    if passage.page:
        parts.append(f"p. {passage.page}")
    return ", ".join(part for part in parts if part)


def _place(passage: Passage) -> str:
    """`§4.3.4 "Title"` for a numbered section; `Voorwoord` or `hoofdstuk N "Title"` otherwise."""
    if passage.section and passage.section != passage.chapter:
        title = short_title(passage.section_title)
        return f'§{passage.section} "{title}"' if title else f"§{passage.section}"
    if passage.chapter == "0":
        return "Voorwoord"
    # Passages before a chapter's first § (and chapter 8's findings) are cited by chapter;
    # a chapter without a printed title only has its number.
    title = short_title(passage.chapter_title)
    if not title or title.lower() == f"hoofdstuk {passage.chapter}":
        return f"hoofdstuk {passage.chapter}"
    return f'hoofdstuk {passage.chapter} "{title}"'


def is_verbatim(quote: str, passage_text: str) -> bool:
    """True when `quote` is a non-empty, exact substring of the passage text."""
    return bool(quote.strip()) and quote in passage_text


def normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """Letters and digits of `text`, case- and accent-folded, with each one's source offset."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        if not ch.isalnum():
            continue
        for folded in unicodedata.normalize("NFKD", ch.casefold()):
            if folded.isalnum():
                chars.append(folded)
                offsets.append(i)
    return "".join(chars), offsets


def normalise(text: str) -> str:
    """The normal form used for verbatim lookup (see `normalise_with_offsets`)."""
    return normalise_with_offsets(text)[0]


def split_claims(text: str) -> list[str]:
    """Split a briefing paragraph into claims: its sentences with some letters or digits."""
    joined = " ".join(text.split())
    return [s for s in split_sentences(joined) if sum(ch.isalnum() for ch in s) >= 3]


@dataclass(frozen=True, slots=True)
class ClaimMatch:
    """A passage behind a claim and the verbatim quote that matched."""

    passage: Passage
    quote: str
    score: float


@dataclass(frozen=True, slots=True)
class CiteResult:
    """The verdict on one claim."""

    claim: str
    verdict: Verdict
    matches: list[ClaimMatch]


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


@dataclass(frozen=True, slots=True)
class _Claim:
    """One claim as the scorers need it."""

    vector: np.ndarray
    terms: QueryTerms
    soft: SoftTerms
    recommends: bool


@dataclass(frozen=True, slots=True)
class _Span:
    """A sentence or two adjacent sentences of a passage, scored against a claim."""

    start: int
    end: int
    dense: float
    lexical: float
    soft: float

    @property
    def rank_score(self) -> float:
        return (
            SPAN_DENSE * max(self.dense, 0.0) + SPAN_LEXICAL * self.lexical + SPAN_SOFT * self.soft
        )

    @property
    def support(self) -> float:
        soft, lexical, dense = SUPPORT_WEIGHTS
        return soft * self.soft + lexical * self.lexical + dense * max(self.dense, 0.0)


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A candidate passage with its best span and its rank score."""

    passage: Passage
    span: _Span
    score: float


class ClaimChecker:
    """Looks claims up: verbatim in the normalised report first, then by span similarity."""

    def __init__(
        self,
        index: HybridIndex,
        scorer: EvidenceScorer,
        *,
        supported_threshold: float,
        partial_threshold: float,
    ) -> None:
        self.index = index
        self.scorer = scorer
        self.supported_threshold = supported_threshold
        self.partial_threshold = partial_threshold
        self._normalised = [(p, *normalise_with_offsets(p.text)) for p in index.passages]
        self._words = {
            p.passage_id: [set(words(s.text)) for s in index.sentences(p.passage_id)]
            for p in index.passages
        }
        self._soft = SoftMatcher(w for groups in self._words.values() for ws in groups for w in ws)

    def check(self, claim: str, *, top_k: int = 3) -> CiteResult:
        """The verdict and up to `top_k` matches for one claim."""
        exact = verified(self.find_verbatim(claim))
        if exact:
            return CiteResult(claim, "supported", self._fill(exact, claim, top_k=top_k))
        matches = verified(self.find_similar(claim, k=max(top_k, VERDICT_DEPTH)))
        return CiteResult(claim, self.verdict_of(claim, matches), matches[:top_k])

    def check_batch(self, text: str, *, top_k: int = 3) -> list[CiteResult]:
        """One result per claim of `text`."""
        return [self.check(claim, top_k=top_k) for claim in split_claims(text)]

    def verdict(self, score: float) -> Verdict:
        """Map a support score to a verdict with the calibrated thresholds."""
        if score >= self.supported_threshold:
            return "supported"
        if score >= self.partial_threshold:
            return "partial"
        return "not_found"

    def verdict_of(self, claim: str, matches: Sequence[ClaimMatch]) -> Verdict:
        """The verdict on a reworded claim: its best match's score, but never "supported"
        when a number of the claim is missing from that match's passage (218 vs 128)."""
        if not matches:
            return "not_found"
        best = max(matches, key=lambda m: m.score)
        verdict = self.verdict(best.score)
        if verdict == "supported" and not numbers_agree(claim, best.passage.text):
            return "partial"
        return verdict

    def find_verbatim(self, claim: str) -> list[ClaimMatch]:
        """Passages that contain the claim verbatim up to spacing, case, accents, hyphens."""
        needle = normalise(claim)
        if len(needle) < MIN_EXACT_CHARS:
            return []
        matches = []
        for passage, haystack, offsets in self._normalised:
            at = haystack.find(needle)
            if at < 0:
                continue
            quote = passage.text[offsets[at] : offsets[at + len(needle) - 1] + 1]
            matches.append(ClaimMatch(passage, quote, 1.0))
        return matches

    def find_similar(self, claim: str, *, k: int) -> list[ClaimMatch]:
        """The k best candidate passages, each with its best span as the quote.

        `score` is the span's support score (what the verdict thresholds apply to); the
        order is by rank score, which also weighs the whole passage's similarity.
        """
        hits = self.index.search(claim, k=HYBRID_DEPTH)
        if not hits:
            return []
        hits = [*hits, *self.index.search(claim, k=DENSE_DEPTH, mode="dense")]
        ranked = sorted(
            self._candidates(self._claim(claim), hits), key=lambda c: c.score, reverse=True
        )
        return [
            ClaimMatch(c.passage, c.passage.text[c.span.start : c.span.end], c.span.support)
            for c in ranked[:k]
        ]

    def _claim(self, claim: str) -> _Claim:
        return _Claim(
            vector=self.index.embed_query(claim),
            terms=self.scorer.query_terms(claim),
            soft=self._soft.terms(claim),
            recommends=speaks_of_recommendations(fold(claim)),
        )

    def _candidates(self, claim: _Claim, hits: Sequence[Hit]) -> list[_Candidate]:
        """Each candidate passage with its best span and rank score."""
        passages, cosines = self._pool(claim, hits)
        out = []
        for pid, passage in passages.items():
            span = self._best_span(claim, passage)
            if span is None:
                continue
            recommended = claim.recommends and passage.kind is PassageKind.RECOMMENDATION
            cue = RECOMMENDATION_CUE if recommended else 0.0
            lexical = claim.terms.coverage(self.scorer.passage_terms(pid))
            score = (
                span.rank_score
                + PASSAGE_DENSE * cosines.get(pid, 0.0)
                + PASSAGE_LEXICAL * lexical
                + cue
            )
            out.append(_Candidate(passage, span, score))
        return out

    def _pool(
        self, claim: _Claim, hits: Sequence[Hit]
    ) -> tuple[dict[str, Passage], dict[str, float]]:
        """The distinct passages of the hits (plus the recommendations when the claim speaks
        of one) and the passage cosines the hits carry (none for a passage not retrieved)."""
        passages: dict[str, Passage] = {}
        cosines: dict[str, float] = {}
        for hit in hits:
            passages.setdefault(hit.passage.passage_id, hit.passage)
            if hit.dense_score is not None:
                cosines.setdefault(hit.passage.passage_id, hit.dense_score)
        if claim.recommends:
            for passage in self.scorer.recommendations:
                passages.setdefault(passage.passage_id, passage)
        return passages, cosines

    def _best_span(self, claim: _Claim, passage: Passage) -> _Span | None:
        """The passage's best sentence or pair of adjacent sentences (None if it has none)."""
        pid = passage.passage_id
        sentences = self.index.sentences(pid)
        if not sentences:
            return None
        vectors = self.index.sentence_vectors(pid)
        terms = self.scorer.sentence_terms(pid)
        span_words = self._words[pid]
        best: _Span | None = None
        for i in range(len(sentences)):
            for j in range(i, min(i + 2, len(sentences))):
                vector = vectors[i : j + 1].sum(axis=0)
                norm = float(np.linalg.norm(vector)) or 1.0
                span = _Span(
                    start=sentences[i].start,
                    end=sentences[j].end,
                    dense=float(vector @ claim.vector) / norm,
                    lexical=claim.terms.coverage(set().union(*terms[i : j + 1])),
                    soft=claim.soft.coverage(set().union(*span_words[i : j + 1])),
                )
                if best is None or span.rank_score > best.rank_score:
                    best = span
        return best

    def _fill(self, exact: list[ClaimMatch], claim: str, *, top_k: int) -> list[ClaimMatch]:
        """Exact matches first, topped up with similar passages."""
        if len(exact) >= top_k:
            return exact[:top_k]
        seen = {m.passage.passage_id for m in exact}
        similar = verified(self.find_similar(claim, k=top_k))
        extra = [m for m in similar if m.passage.passage_id not in seen]
        return (exact + extra)[:top_k]


def numbers_agree(claim: str, text: str) -> bool:
    """True when every number in the claim also occurs in `text`."""
    return set(_NUMBER.findall(claim)) <= set(_NUMBER.findall(text))


def verified(matches: Sequence[ClaimMatch]) -> list[ClaimMatch]:
    """Only the matches whose quote is verbatim in their passage."""
    return [m for m in matches if is_verbatim(m.quote, m.passage.text)]
