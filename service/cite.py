"""Citations: reference formatting, the verbatim check, and looking a claim up in the report.

A pasted quote is found exactly even when line breaks, spaces or hyphenation differ: texts
are compared in a normal form (letters and digits only, case- and accent-folded) and the
match is mapped back to the passage's own characters through an offset map.

A reworded claim is looked up by re-ranking candidate passages (hybrid and dense search,
plus the report's recommendations when the claim says something is recommended) by their
best sentence or pair of adjacent sentences. A span is scored by its similarity with the
claim, the idf-weighted share of the claim's analysed terms it contains, and a "soft" share
of the claim's words it contains, where a word also matches a report word sharing a long
prefix (Britten/Britse, rotation/rotatietijd: inflections and English-Dutch cognates the
stemmer keeps apart).

The similarity is calibrated per claim: the cosine as a z-score against the claim's cosines
with every sentence of the report. Raw cosines mean different things for different models
(multilingual-e5 puts related Dutch text in 0.75-0.95, MiniLM in 0-0.8) and for different
claims; "how many standard deviations above the report's typical sentence" does not.

A claim is `supported` when its best match that agrees with it (the passage has every
number and name of the claim but the report's setting and author, service/claim_parts.py)
and raises no contradiction signal clears the support threshold, and that passage holds
enough of each of the claim's clauses (enough of its words or, for a reworded or English
clause, a span similar enough: word overlap alone took paraphrases for added details);
`partial` when a clause falls short there (an added detail, returned as unsupported), or
when no match supports the whole claim but some clauses are supported; `not_found` when a
match as close contradicts it (a negation the other side lacks, an `alle`/`altijd`/`nooit`
the evidence does not license, or a name or number replaced by another in the same place)
or nothing supports it. Weights and thresholds were chosen on
eval/gold/claims.jsonl and claims_dev.jsonl (bench/calibrate_cite.py).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from index.analysis import fold, words
from index.cues import query_language
from index.models import Hit
from ingest.models import Passage, PassageKind
from ingest.sentences import split_sentences
from service.claim_parts import (
    Clause,
    SoftMatcher,
    SoftTerms,
    aligned,
    names_in,
    numbers_of,
    overstates,
    polarity_differs,
    replaced,
    split_clauses,
)
from service.evidence import EvidenceScorer, QueryTerms, speaks_of_recommendations

if TYPE_CHECKING:
    from index.hybrid import HybridIndex

REPORT_REFERENCE = "IOB (2022), Evaluatie van de Nederlandse bijdrage aan MINUSMA 2014-2019"
TITLE_LIMIT = 30  # characters of a section title kept in a reference before "…"
MIN_EXACT_CHARS = 12  # a normalised claim shorter than this is not looked up verbatim
HYBRID_DEPTH = 40  # hybrid-search candidates for a claim not found verbatim
DENSE_DEPTH = 20  # dense-search candidates (paraphrases BM25 misses: gold claim top-3 +1)
# A candidate passage's rank score: its best span's
#   SPAN_DENSE x similarity + SPAN_LEXICAL x term coverage + SPAN_SOFT x soft word coverage,
# plus PASSAGE_DENSE x the passage's own similarity (the whole passage's embedding often
# knows a paraphrase no single sentence does), PASSAGE_LEXICAL x the passage's term coverage
# and RECOMMENDATION_CUE for a recommendation when the claim speaks of one. A similarity is
# a z-score (see the module docstring), so its weights are per standard deviation. Chosen
# with multilingual-e5-small by a grid search of top-3 support on the 34 supported gold
# claims (0.941 with the weights fitted to MiniLM's raw cosines -> 0.971, leave-one-out
# 0.971), checked on the 142 gold questions' reference answers looked up as claims
# (0.965 -> 0.972): a wide plateau, these weights sit inside it.
SPAN_DENSE = 0.1
SPAN_LEXICAL = 0.25
SPAN_SOFT = 0.5
PASSAGE_DENSE = 0.1
PASSAGE_LEXICAL = 0.25
RECOMMENDATION_CUE = 0.2
# How well a span supports a text (the verdict and each match's `score`): weights of soft
# coverage, term coverage and similarity, the similarity's z-score counted up to FULL_Z
# (z / FULL_Z, clipped to 0-1). Grid-searched with the verdict thresholds on the gold and
# dev claims (bench/calibrate_cite.py): similarity carries most of it (was 0.5 / 0.25 / 0.25:
# nested 5-fold 0.77 -> 0.83; 0.3 / 0 / 0.7 at FULL_Z 6 before clause coverage counted
# similarity: on the 114 gold + dev claims 0.80 -> 0.83). Re-picked after queries were
# embedded one at a time with the int8 export that keeps the feed-forward outputs float:
# FULL_Z 10 -> 12 (114 claims: 0.842 -> 0.868 in sample, nested 5-fold 0.812).
SUPPORT_WEIGHTS = (0.1, 0.0, 0.9)
FULL_Z = 12.0
# A name used in at least this share of the report's passages (Nederland, MINUSMA, Mali, VN)
# is the report's setting, not what a claim is about: a passage need not repeat it.
COMMON_NAME_SHARE = 0.1
AUTHOR = "iob"  # the report's author is its setting too: "IOB recommends ..." cites the report
SPAN_SENTENCES = 2  # a span is a sentence or two adjacent ones (3: nested 5-fold 0.811 -> 0.775)
VERDICT_DEPTH = 3  # the verdict weighs this many matches, whatever top_k the caller asks for
# The signals that a close match contradicts the claim (service/claim_parts.py).
SIGNALS = frozenset({"polarity", "quantifier", "replaced"})

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
    """The verdict on one claim; for `partial`, the clauses the report supports and not."""

    claim: str
    verdict: Verdict
    matches: list[ClaimMatch]
    supported_parts: tuple[str, ...] = ()
    unsupported_parts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Support:
    """How one span of a matched passage supports a text (a claim or one of its clauses)."""

    soft: float
    lexical: float
    similarity: float  # z-score of the span's cosine against the text's report background
    agrees: bool  # the passage has every number and name of the text
    conflicts: frozenset[str] = frozenset()  # the SIGNALS by which the span contradicts it

    def score(
        self,
        weights: tuple[float, float, float] = SUPPORT_WEIGHTS,
        *,
        full_z: float = FULL_Z,
    ) -> float:
        """The support score the verdict thresholds apply to."""
        soft, lexical, dense = weights
        similarity = min(max(self.similarity / full_z, 0.0), 1.0)
        return soft * self.soft + lexical * self.lexical + dense * similarity

    def coverage(self, *, full_z: float = FULL_Z) -> float:
        """How much of a clause the span holds: the share of its words the span has or,
        for a paraphrase (or an English clause on Dutch text), its similarity (z / full_z),
        whichever is larger."""
        return max(self.soft, min(max(self.similarity / full_z, 0.0), 1.0))


@dataclass(frozen=True, slots=True)
class ClaimEvidence:
    """What the verdict on a reworded claim is decided from."""

    claim: str
    matches: list[ClaimMatch]  # ranked; each quote verbatim in its passage
    whole: list[Support]  # the claim against each of the first VERDICT_DEPTH matches
    clauses: list[tuple[Clause, list[Support]]]  # each clause against them (2+ clauses)


@dataclass(frozen=True, slots=True)
class Decision:
    """A verdict and, for a partial one, which clauses are supported and which are not."""

    verdict: Verdict
    supported_parts: tuple[str, ...] = ()
    unsupported_parts: tuple[str, ...] = ()


def decide(
    evidence: ClaimEvidence,
    *,
    supported: float,
    partial: float,
    signals: frozenset[str] = SIGNALS,
) -> Decision:
    """The verdict on a reworded claim.

    - `supported` when the best clean match (numbers and names agree, no contradiction
      signal) scores >= `supported`, no contradicting match scores higher, and that match's
      passage covers at least `partial` of every clause (`Support.coverage`: the share of
      its words or, for a paraphrase, its similarity);
    - `partial` when it scores so but leaves a clause below `partial` (an added detail:
      that clause is returned as unsupported), or when no match supports the whole claim
      but some of its clauses are supported (score >= `supported`) and some not;
    - `not_found` when the best match contradicts the claim at a score >= `supported`, or
      nothing supports it.
    """
    clean = [(s.score(), k) for k, s in enumerate(evidence.whole) if _clean(s, signals)]
    best, at = max(clean, default=(-1.0, -1))
    contradicting = _contradicting(evidence.whole, signals)
    if best >= supported and best >= contradicting:
        judged = [(c.text, s[at].coverage() >= partial) for c, s in evidence.clauses]
    elif contradicting >= supported:
        return Decision("not_found")
    else:
        judged = [
            (
                c.text,
                max((s.score() for s in supports if _clean(s, signals)), default=-1.0) >= supported,
            )
            for c, supports in evidence.clauses
        ]
        if all(ok for _, ok in judged) or not any(ok for _, ok in judged):
            return Decision("not_found")
    if all(ok for _, ok in judged):
        return Decision("supported")
    return Decision(
        "partial",
        tuple(text for text, ok in judged if ok),
        tuple(text for text, ok in judged if not ok),
    )


def _contradicting(
    supports: Sequence[Support],
    signals: frozenset[str],
    weights: tuple[float, float, float] = SUPPORT_WEIGHTS,
    full_z: float = FULL_Z,
) -> float:
    """The score of the best match when it raises one of `signals` (-1 when it does not):
    the claim's closest evidence contradicts it, not a passage further off."""
    scored = [(s.score(weights, full_z=full_z), bool(s.conflicts & signals)) for s in supports]
    best, conflicting = max(scored, default=(-1.0, False))
    return best if conflicting else -1.0


def _clean(support: Support, signals: frozenset[str]) -> bool:
    """Does the support agree (numbers, names) and raise none of `signals`?"""
    return support.agrees and not support.conflicts & signals


@dataclass(frozen=True, slots=True)
class _Text:
    """A claim (or one of its clauses) as the scorers need it."""

    text: str
    vector: np.ndarray
    mean: float  # mean and spread of its cosines with every sentence of the report
    spread: float
    terms: QueryTerms
    soft: SoftTerms
    names: list[str]
    numbers: set[str]
    recommends: bool

    def z(self, cosine: float) -> float:
        """The cosine as a z-score against the report's sentences."""
        return (cosine - self.mean) / self.spread


@dataclass(frozen=True, slots=True)
class _Span:
    """A sentence or two adjacent sentences of a passage, scored against a text."""

    start: int
    end: int
    dense: float  # z-score
    lexical: float
    soft: float

    @property
    def rank_score(self) -> float:
        return SPAN_DENSE * self.dense + SPAN_LEXICAL * self.lexical + SPAN_SOFT * self.soft


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
        self._passage_words = {pid: set().union(*ws) for pid, ws in self._words.items()}
        self._numbers = {p.passage_id: numbers_of(p.text) for p in index.passages}
        self._soft = SoftMatcher(w for ws in self._passage_words.values() for w in ws)
        frequency: Counter[str] = Counter()
        for ws in self._passage_words.values():
            frequency.update(ws)
        floor = COMMON_NAME_SHARE * max(len(self._passage_words), 1)
        common = {w for w, n in frequency.items() if n >= floor}
        self._common = frozenset(common | {AUTHOR})
        self._vocabulary = frozenset(frequency)

    def check(self, claim: str, *, top_k: int = 3) -> CiteResult:
        """The verdict and up to `top_k` matches for one claim."""
        exact = verified(self.find_verbatim(claim))
        if exact:
            return CiteResult(claim, "supported", self._fill(exact, claim, top_k=top_k))
        evidence = self.weigh(claim, k=top_k)
        decision = decide(
            evidence, supported=self.supported_threshold, partial=self.partial_threshold
        )
        return CiteResult(
            claim,
            decision.verdict,
            evidence.matches[:top_k],
            decision.supported_parts,
            decision.unsupported_parts,
        )

    def check_batch(self, text: str, *, top_k: int = 3) -> list[CiteResult]:
        """One result per claim of `text`."""
        return [self.check(claim, top_k=top_k) for claim in split_claims(text)]

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

    def weigh(self, claim: str, *, k: int = VERDICT_DEPTH) -> ClaimEvidence:
        """The best `k` (at least VERDICT_DEPTH) matches of a reworded claim, and how the
        first VERDICT_DEPTH of them support the claim and each of its clauses."""
        clauses = split_clauses(claim)
        clauses = clauses if len(clauses) > 1 else []
        texts = self._texts(claim, clauses)
        whole = texts[0]
        ranked = self._ranked(whole)[: max(k, VERDICT_DEPTH)]
        judged = ranked[:VERDICT_DEPTH]
        supports = [self._support(whole, c.passage, c.span) for c in ranked]
        return ClaimEvidence(
            claim=claim,
            matches=[
                ClaimMatch(c.passage, c.passage.text[c.span.start : c.span.end], s.score())
                for c, s in zip(ranked, supports, strict=True)
            ],
            whole=supports[:VERDICT_DEPTH],
            clauses=[
                (clause, [self._support(text, c.passage) for c in judged])
                for clause, text in zip(clauses, texts[1:], strict=True)
            ],
        )

    def find_similar(self, claim: str, *, k: int) -> list[ClaimMatch]:
        """The k best candidate passages, each with its best span as the quote.

        `score` is the span's support score; the order is by rank score, which also weighs
        the whole passage's similarity.
        """
        whole = self._texts(claim, [])[0]
        return [
            ClaimMatch(
                c.passage,
                c.passage.text[c.span.start : c.span.end],
                self._support(whole, c.passage, c.span).score(),
            )
            for c in self._ranked(whole)[:k]
        ]

    def _texts(self, claim: str, clauses: Sequence[Clause]) -> list[_Text]:
        """The claim and its clauses, embedded in one batch."""
        parts = [(claim, names_in(claim))]
        parts += [(c.text, names_in(claim, start=c.start, end=c.end)) for c in clauses]
        vectors = self.index.embed_queries([text for text, _ in parts])
        means, spreads = self.scorer.cosine_scale(vectors)
        recommends = speaks_of_recommendations(fold(claim))
        return [
            _Text(
                text=text,
                vector=vector,
                mean=float(mean),
                spread=float(spread) or 1.0,
                terms=self.scorer.query_terms(text),
                soft=self._soft.terms(text),
                names=self._names_that_matter(names, english=query_language(claim) == "en"),
                numbers=numbers_of(text),
                recommends=recommends,
            )
            for (text, names), vector, mean, spread in zip(
                parts, vectors, means, spreads, strict=True
            )
        ]

    def _names_that_matter(self, names: list[str], *, english: bool) -> list[str]:
        """The names a supporting passage must contain: not the report's setting (common
        names) and, for an English claim, only names the report itself uses as they are
        (Gao, UNPOL; not Dutch or Germany, which it writes in Dutch: a prefix match would
        take Dutch for Dutchbat)."""
        return [
            n for n in names if n not in self._common and (n in self._vocabulary or not english)
        ]

    def _ranked(self, text: _Text) -> list[_Candidate]:
        """The candidate passages of a reworded claim, best first, with verbatim quotes."""
        hits = self.index.search(text.text, k=HYBRID_DEPTH)
        if not hits:
            return []
        hits = [*hits, *self.index.search(text.text, k=DENSE_DEPTH, mode="dense")]
        candidates = [
            c
            for c in self._candidates(text, hits)
            if is_verbatim(c.passage.text[c.span.start : c.span.end], c.passage.text)
        ]
        return sorted(candidates, key=lambda c: c.score, reverse=True)

    def _support(self, text: _Text, passage: Passage, span: _Span | None = None) -> Support:
        """How the passage's span (its best one for `text` when not given) supports `text`."""
        span = span if span is not None else self._best_span(text, passage)
        if span is None:
            return Support(0.0, 0.0, 0.0, agrees=False)
        present = self._passage_words.get(passage.passage_id, set())
        missing = [n for n in text.names if self._soft.matches(n).isdisjoint(present)]
        missing += sorted(text.numbers - self._numbers[passage.passage_id])
        evidence = passage.text[span.start : span.end]
        sentence = aligned(text.soft, evidence)
        conflicts = set()
        if polarity_differs(text.text, sentence, self._same):
            conflicts.add("polarity")
        if overstates(text.text, evidence):
            conflicts.add("quantifier")
        specifics = len(text.names) + len(text.numbers)
        anchored = len(missing) < specifics or specifics == 1  # the same fact, not another
        if (
            missing
            and anchored
            and replaced(text.text, evidence, missing, self._same, setting=self._common)
        ):
            conflicts.add("replaced")
        return Support(
            span.soft, span.lexical, span.dense, agrees=not missing, conflicts=frozenset(conflicts)
        )

    def _same(self, claim_word: str, report_word: str) -> bool:
        """Does a claim word (softly) match a word of the report?"""
        return report_word in self._soft.matches(claim_word)

    def _candidates(self, text: _Text, hits: Sequence[Hit]) -> list[_Candidate]:
        """Each candidate passage with its best span and rank score."""
        passages, cosines = self._pool(text, hits)
        floor = min(cosines.values(), default=0.0)  # a recommendation added without a hit
        out = []
        for pid, passage in passages.items():
            span = self._best_span(text, passage)
            if span is None:
                continue
            recommended = text.recommends and passage.kind is PassageKind.RECOMMENDATION
            cue = RECOMMENDATION_CUE if recommended else 0.0
            lexical = text.terms.coverage(self.scorer.passage_terms(pid))
            score = (
                span.rank_score
                + PASSAGE_DENSE * text.z(cosines.get(pid, floor))
                + PASSAGE_LEXICAL * lexical
                + cue
            )
            out.append(_Candidate(passage, span, score))
        return out

    def _pool(
        self, text: _Text, hits: Sequence[Hit]
    ) -> tuple[dict[str, Passage], dict[str, float]]:
        """The distinct passages of the hits (plus the recommendations when the claim speaks
        of one) and the passage cosines the hits carry (none for a passage not retrieved)."""
        passages: dict[str, Passage] = {}
        cosines: dict[str, float] = {}
        for hit in hits:
            passages.setdefault(hit.passage.passage_id, hit.passage)
            if hit.dense_score is not None:
                cosines.setdefault(hit.passage.passage_id, hit.dense_score)
        if text.recommends:
            for passage in self.scorer.recommendations:
                passages.setdefault(passage.passage_id, passage)
        return passages, cosines

    def _best_span(self, text: _Text, passage: Passage) -> _Span | None:
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
            for j in range(i, min(i + SPAN_SENTENCES, len(sentences))):
                vector = vectors[i : j + 1].sum(axis=0)
                norm = float(np.linalg.norm(vector)) or 1.0
                span = _Span(
                    start=sentences[i].start,
                    end=sentences[j].end,
                    dense=text.z(float(vector @ text.vector) / norm),
                    lexical=text.terms.coverage(set().union(*terms[i : j + 1])),
                    soft=text.soft.coverage(set().union(*span_words[i : j + 1])),
                )
                if best is None or span.rank_score > best.rank_score:
                    best = span
        return best

    def _fill(self, exact: list[ClaimMatch], claim: str, *, top_k: int) -> list[ClaimMatch]:
        """Exact matches first, topped up with similar passages."""
        if len(exact) >= top_k:
            return exact[:top_k]
        seen = {m.passage.passage_id for m in exact}
        similar = self.find_similar(claim, k=top_k)
        extra = [m for m in similar if m.passage.passage_id not in seen]
        return (exact + extra)[:top_k]


def verified(matches: Sequence[ClaimMatch]) -> list[ClaimMatch]:
    """Only the matches whose quote is verbatim in their passage."""
    return [m for m in matches if is_verbatim(m.quote, m.passage.text)]
