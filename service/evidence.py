"""Sentence-level evidence scoring shared by the answerer and the claim lookup.

Each sentence gets its cosine with the ONE query embedding (precomputed sentence vectors)
and an idf-weighted lexical coverage of the query's analysed terms (the BM25 analyser:
stems and compound parts), so Dutch morphology and rare names both count. Its `score` holds
the parts that do not depend on the other candidates (its passage's retrieval rank and
lexical coverage); the answerer adds the similarity, normalised over the question's
candidate sentences (service/selection.py). The answerer's confidence mixes cosine and
lexical coverage.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from wordfreq import zipf_frequency

from index.analysis import fold, words
from index.models import Hit, Sentence
from ingest.models import Passage, PassageKind

if TYPE_CHECKING:
    from index.hybrid import HybridIndex

# Sentence score = RANK_PRIOR_WEIGHT / retrieval rank + PASSAGE_WEIGHT x passage coverage
# (the answerer adds the sentence's own similarity, scaled over the candidates). The passage
# terms let a sentence that answers without repeating the question's words ("Dit kwam
# doordat ...") still rank with its passage. Each part switched off costs gold
# evidence-in-answer, full set and 5-fold CV (bench/answer_ablation.py); the sentence's own
# lexical coverage (0.5 x, as before e5) cost it on gold, CV and english_probe, and went.
RANK_PRIOR_WEIGHT = 0.2
PASSAGE_WEIGHT = 0.5
# How the answerer's confidence (abstention) weighs the sentence's similarity against its
# lexical coverage; the similarity is the cosine's distance above the query's mean cosine
# with the report, in spreads, divided by Z_SPAN and cut to [0, 1]. The abstention
# threshold is calibrated on this mix (service/settings.py).
DENSE_WEIGHT = 0.5
Z_SPAN = 6.0
COMMON_ZIPF = 6.0  # words this frequent in general language carry (almost) no weight
ZIPF_SPAN = 3.0  # ... and words of Zipf 3 or rarer carry full weight
MIN_INFORMATIVENESS = 0.1
WORD_PREFIX_CHARS = 4  # a name shares its first letters with the report's spelling of it
# Text about the report's recommendations ("Welke aanbevelingen ...", "Wat raadt IOB aan",
# "IOB beveelt aan ...", "the report recommends"): generic Dutch/English wording, shared by
# the answerer (questions) and the citation lookup (claims).
_RECOMMENDATION_CUE = re.compile(
    r"\b(?:aanbevel|aanbevol|recommend|advise|adviseer)\w*|\b(?:beveelt|bevelen)\b"
    r"|\braadt?\b.*\baan\b",
    re.IGNORECASE,
)
WORD_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)  # words, "IPO's" whole
_POSSESSIVE = re.compile(r"['’]s?$")


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """A query's analysed terms with their idf weights (terms unknown to the report weigh most)."""

    weights: dict[str, float]
    unknown: frozenset[str] = frozenset()  # terms the report never uses

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    @property
    def known_share(self) -> float:
        """Weighted share of the query terms that occur somewhere in the report (1 if none)."""
        total = self.total
        if total <= 0:
            return 1.0
        return 1.0 - sum(self.weights[t] for t in self.unknown) / total

    def coverage(self, terms: set[str]) -> float:
        """Idf-weighted share of the query terms found in `terms` (0 when the query has none)."""
        total = self.total
        if total <= 0:
            return 0.0
        return sum(w for t, w in self.weights.items() if t in terms) / total


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """One sentence of a retrieved passage, scored against a query."""

    passage: Passage
    sentence: Sentence
    dense: float
    lexical: float
    score: float
    rank: int  # retrieval rank of the passage (1-based)
    position: int  # index of the sentence within its passage
    vector: np.ndarray
    terms: frozenset[str]


def speaks_of_recommendations(text: str) -> bool:
    """Does `text` (a question or a claim) speak of the report's recommendations?"""
    return bool(_RECOMMENDATION_CUE.search(text))


class EvidenceScorer:
    """Scores the precomputed sentences of retrieved passages against a query.

    Built once per loaded index: it precomputes the analysed terms of every passage and
    sentence and their document frequencies.
    """

    def __init__(self, index: HybridIndex) -> None:
        self.index = index
        self._passage_terms: dict[str, set[str]] = {
            p.passage_id: set(index.analyze(p.text)) for p in index.passages
        }
        df: Counter[str] = Counter()
        for terms in self._passage_terms.values():
            df.update(terms)
        n = max(len(self._passage_terms), 1)
        self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self._unknown_idf = math.log(1 + n)
        self._sentence_terms: dict[str, list[set[str]]] = {
            p.passage_id: [set(index.analyze(s.text)) for s in index.sentences(p.passage_id)]
            for p in index.passages
        }
        # the mean and covariance of the report's sentence vectors: a query's cosines with
        # every sentence have mean centre @ v and variance v @ covariance @ v
        vectors = [index.sentence_vectors(p.passage_id) for p in index.passages]
        matrix = np.concatenate([v for v in vectors if len(v)] or [np.zeros((1, 1))])
        self._centre = matrix.mean(axis=0)
        self._covariance = np.atleast_2d(np.cov(matrix.T, bias=True)).astype(np.float32)
        # the report's recommendations (answers to and support for claims about them)
        self.recommendations = [p for p in index.passages if p.kind is PassageKind.RECOMMENDATION]
        # the first letters of every word of each passage and of the report, folded ("brit"
        # for Britse)
        self._passage_prefixes = {p.passage_id: word_prefixes(p.text) for p in index.passages}
        self.word_prefixes = frozenset().union(*self._passage_prefixes.values())

    def query_terms(self, text: str) -> QueryTerms:
        """The analysed terms of `text`, weighted by idf in the report times how informative
        the word they come from is in general language (question words weigh little)."""
        weights: dict[str, float] = {}
        for word in words(text):
            informative = informativeness(word)
            for term in self.index.analyze(word):
                idf = self._idf.get(term, self._unknown_idf)
                weights[term] = max(weights.get(term, 0.0), idf * informative)
        return QueryTerms(weights, frozenset(t for t in weights if t not in self._idf))

    def cosine_scale(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, spread) of each row's cosines with all the report's sentences.

        A cosine means little on its own (e5's sit in a narrow band, MiniLM's spread wide);
        how many spreads it lies above the text's mean cosine with the report says how
        unusually close a sentence is, whatever the model.
        """
        rows = np.atleast_2d(vectors)
        means = rows @ self._centre
        spreads = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", rows, self._covariance, rows), 0))
        return means, np.where(spreads > 0, spreads, 1.0)

    def passage_prefixes(self, passage: Passage) -> frozenset[str]:
        """`word_prefixes` of a passage (precomputed for the report's own)."""
        found = self._passage_prefixes.get(passage.passage_id)
        return found if found is not None else word_prefixes(passage.text)

    def passage_share(self, term: str) -> float:
        """The share of the report's passages that use an analysed term (0 if none)."""
        idf = self._idf.get(term)
        return 0.0 if idf is None else 1.0 / (math.exp(idf) - 1.0) if idf > 0 else 1.0

    def passage_terms(self, passage_id: str) -> set[str]:
        """The analysed terms of a passage (empty for an unknown id)."""
        return self._passage_terms.get(passage_id, set())

    def sentence_terms(self, passage_id: str) -> list[set[str]]:
        """The analysed terms of each precomputed sentence of a passage ([] if unknown)."""
        return self._sentence_terms.get(passage_id, [])

    def text_terms(self, text: str) -> set[str]:
        """The analysed terms of any text."""
        return set(self.index.analyze(text))

    def score_hits(
        self, hits: Sequence[Hit], query_vector: np.ndarray, terms: QueryTerms
    ) -> list[ScoredSentence]:
        """Score every sentence of the hits' passages; best first."""
        scored: list[ScoredSentence] = []
        for hit in hits:
            scored.extend(self.score_passage(hit.passage, hit.rank, query_vector, terms))
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    def score_passage(
        self, passage: Passage, rank: int, query_vector: np.ndarray, terms: QueryTerms
    ) -> list[ScoredSentence]:
        """Score the sentences of one passage (retrieved at `rank`), in text order."""
        sentences = self.index.sentences(passage.passage_id)
        if not sentences:
            return []
        vectors = self.index.sentence_vectors(passage.passage_id)
        cosines = vectors @ query_vector
        term_sets = self.sentence_terms(passage.passage_id)
        score = RANK_PRIOR_WEIGHT / rank + PASSAGE_WEIGHT * terms.coverage(
            self.passage_terms(passage.passage_id)
        )
        out = []
        for position, (sentence, cosine, vector, sentence_terms) in enumerate(
            zip(sentences, cosines, vectors, term_sets, strict=True)
        ):
            out.append(
                ScoredSentence(
                    passage=passage,
                    sentence=sentence,
                    dense=float(cosine),
                    lexical=terms.coverage(sentence_terms),
                    score=score,
                    rank=rank,
                    position=position,
                    vector=vector,
                    terms=frozenset(sentence_terms),
                )
            )
        return out


def word_prefixes(text: str) -> frozenset[str]:
    """`word_prefix` of every word of `text`."""
    return frozenset(word_prefix(w) for w in WORD_TOKEN.findall(text))


def word_prefix(word: str) -> str:
    """The folded first letters (WORD_PREFIX_CHARS) of a word, a possessive left out
    ("IPO’s": ipo, "Britse": brit)."""
    return _POSSESSIVE.sub("", fold(word))[:WORD_PREFIX_CHARS]


def informativeness(word: str) -> float:
    """1 for rare words and numbers, falling to 0.1 for very common Dutch/English words.

    Based on wordfreq's Zipf frequency (the larger of Dutch and English): a word as common
    as "welke" or "how" says little about which passage answers a question.
    """
    if any(ch.isdigit() for ch in word):
        return 1.0
    zipf = max(zipf_frequency(word, "nl"), zipf_frequency(word, "en"))
    return min(max((COMMON_ZIPF - zipf) / ZIPF_SPAN, MIN_INFORMATIVENESS), 1.0)


def jaccard(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    """Overlap of two term sets (0 when both are empty)."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0
