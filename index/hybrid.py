"""`HybridIndex`: a loaded index searched by BM25, character n-grams and dense vectors, fused."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import numpy as np

from index.analysis import QUESTION_WORDS, DutchAnalyzer, Vocabulary, bm25_text, char_ngrams, words
from index.cues import answer_pattern, query_language
from index.dense import DenseIndex
from index.embed import MAX_QUERY_CHARS, Embedder
from index.errors import REBUILD, IndexLoadError
from index.fusion import FUSION_WEIGHTS, Signals, fuse, top_positions, without_untranslated_bm25
from index.glossary import QueryExpander
from index.models import Explanation, Hit, Manifest, SearchMode, Sentence
from index.sparse import SparseIndex
from index.translate import QueryTranslator
from ingest.models import Passage

_QUERY_CACHE_SIZE = 1024


class HybridIndex:
    """A loaded index: passages, dense + BM25 search, fusion, and sentence data."""

    def __init__(
        self,
        *,
        manifest: Manifest,
        passages: list[Passage],
        dense: DenseIndex,
        sparse: SparseIndex,
        sentences: list[Sentence],
        sentence_vectors: np.ndarray,
        vocabulary: Vocabulary,
        glossary: dict[str, str],
        embedder: Embedder,
        chars: SparseIndex | None = None,
        translations: Mapping[str, list[str]] | None = None,
        dictionary: Mapping[str, list[str]] | None = None,
    ) -> None:
        """`chars` is None only for an index made in memory without the n-gram field
        (bench/bench_scale.py); its "chars" signal is then 0 for every passage.
        Without `translations` (or with an empty table) English queries get no "bm25"."""
        self.manifest = manifest
        self.passages = passages
        self._dense = dense
        self._vectors = dense.vectors()
        self._sparse = sparse
        self._chars = chars
        self._translator = QueryTranslator(translations or {})
        # the same table whether or not searches use it (`gloss`)
        self._dictionary = QueryTranslator(dictionary or translations or {})
        self._fusion = without_untranslated_bm25(
            manifest.fusion or FUSION_WEIGHTS, translated=len(self._translator) > 0
        )
        self._cue_rows: dict[str, np.ndarray] = {}
        self._embedder = embedder
        self._analyzer = DutchAnalyzer(vocabulary)
        self._glossary = glossary
        self._expander = QueryExpander(glossary, common_words=vocabulary.common)
        self._question_terms = frozenset(self._analyzer.analyze(" ".join(QUESTION_WORDS)))
        self._position = {p.passage_id: i for i, p in enumerate(passages)}
        self._sentence_rows = _rows_by_passage(sentences)
        self._sentences = sentences
        self._sentence_vectors = sentence_vectors
        self._with_sentences, self._segment_starts = _sentence_segments(
            passages, self._sentence_rows
        )
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def check_shapes(self) -> None:
        """Raise IndexLoadError when the loaded parts do not fit together."""
        problems = []
        if self._dense.size != len(self.passages):
            problems.append(f"{self._dense.size} vectors for {len(self.passages)} passages")
        if self._sentence_vectors.shape[0] != len(self._sentences):
            problems.append("sentence vectors and sentences differ in number")
        if self._dense.dimension != self.manifest.dimension:
            problems.append("vector dimension differs from the manifest")
        if problems:
            raise IndexLoadError(f"index is inconsistent ({'; '.join(problems)}); {REBUILD}")

    # ---- lookups

    def passage(self, passage_id: str) -> Passage | None:
        """The passage with this id, or None."""
        position = self._position.get(passage_id)
        return None if position is None else self.passages[position]

    def neighbours(self, passage_id: str) -> tuple[str | None, str | None]:
        """(previous id, next id) in document order; (None, None) for an unknown id."""
        position = self._position.get(passage_id)
        if position is None:
            return None, None
        prev_id = self.passages[position - 1].passage_id if position > 0 else None
        next_id = (
            self.passages[position + 1].passage_id if position + 1 < len(self.passages) else None
        )
        return prev_id, next_id

    def sentences(self, passage_id: str) -> list[Sentence]:
        """The passage's sentences (precomputed at build time); [] for an unknown id."""
        start, stop = self._sentence_rows.get(passage_id, (0, 0))
        return self._sentences[start:stop]

    def sentence_vectors(self, passage_id: str) -> np.ndarray:
        """(n_sentences, dim) normalised vectors, aligned with `sentences(passage_id)`."""
        start, stop = self._sentence_rows.get(passage_id, (0, 0))
        return self._sentence_vectors[start:stop]

    def glossary(self) -> dict[str, str]:
        """Acronym -> long form, as extracted from the report."""
        return dict(self._glossary)

    def analyze(self, text: str) -> list[str]:
        """The BM25 analyzer's terms for `text` (stems and compound parts)."""
        return self._analyzer.analyze(text[:MAX_QUERY_CHARS])

    # ---- embeddings

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) L2-normalised query vectors (prefix and acronym expansion applied)."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._query_cache))
        if missing:
            vectors = self._embedder.embed_queries([self._dense_query(t) for t in missing])
            self._check_dimension(vectors)
            with self._lock:
                for text, vec in zip(missing, vectors, strict=True):
                    vec.setflags(write=False)
                    self._query_cache[text] = vec
                    self._query_cache.move_to_end(text)
                while len(self._query_cache) > _QUERY_CACHE_SIZE:
                    self._query_cache.popitem(last=False)
        with self._lock:
            rows = [self._query_cache.get(t) for t in texts]
        if any(r is None for r in rows):  # evicted meanwhile by another thread
            return self._embedder.embed_queries([self._dense_query(t) for t in texts])
        return np.stack([r for r in rows if r is not None]) if rows else self._empty()

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) query vector, LRU-cached: search and answer share one model call."""
        return self.embed_queries([text])[0]

    def _empty(self) -> np.ndarray:
        return np.zeros((0, self.manifest.dimension), dtype=np.float32)

    def _dense_query(self, text: str) -> str:
        text = text[:MAX_QUERY_CHARS]
        extra = self._expander.expansions(text)
        return f"{text} ({'; '.join(extra)})" if extra else text

    def _check_dimension(self, vectors: np.ndarray) -> None:
        if vectors.shape[1] != self.manifest.dimension:
            raise IndexLoadError(
                f"the model gives {vectors.shape[1]}-dimensional vectors but the index has "
                f"{self.manifest.dimension}; {REBUILD}"
            )

    # ---- search

    def search(self, query: str, *, k: int = 10, mode: SearchMode = "hybrid") -> list[Hit]:
        """The k best passages for `query`; [] for a query without searchable words."""
        return self.batch_search([query], k=k, mode=mode)[0]

    def batch_search(
        self, queries: Sequence[str], *, k: int = 10, mode: SearchMode = "hybrid"
    ) -> list[list[Hit]]:
        """`search` for many queries; the query embeddings are computed in one batch."""
        if mode not in ("hybrid", "bm25", "dense"):
            raise ValueError(f"unknown search mode {mode!r}; use hybrid, bm25 or dense")
        terms = [self._query_terms(q) for q in queries]
        searchable = [q for q, t in zip(queries, terms, strict=True) if t]
        if mode != "bm25" and searchable:
            self.embed_queries(searchable)  # one batch; `_search_one` reads the cache
        return [
            self._search_one(q, t, k=k, mode=mode) if t and k > 0 else []
            for q, t in zip(queries, terms, strict=True)
        ]

    def explain(self, query: str, passage_id: str) -> Explanation | None:
        """Where `passage_id` ranks for `query` under each signal and which query terms it
        shares; None for an unknown passage or a query without searchable words."""
        position = self._position.get(passage_id)
        terms = self._query_terms(query)
        if position is None or not terms:
            return None
        signals = self._signals(query, terms)
        fused = [i for i, _ in fuse(signals, self._fusion[signals.language])]
        passage = self.passages[position]
        own = set(self._analyzer.analyze(bm25_text(passage)))
        return Explanation(
            passage_id=passage_id,
            fused_rank=fused.index(position) + 1 if position in fused else None,
            bm25_rank=_rank_of(signals.bm25, position),
            chars_rank=_rank_of(signals.chars, position),
            dense_rank=_rank_of(signals.dense, position),
            shared_terms=tuple(t for t in terms if t in own),
        )

    def signal_scores(self, query: str) -> Signals:
        """Every signal's score of every passage for `query`, in passage order (for bench)."""
        return self._signals(query, self._query_terms(query))

    def _signals(self, query: str, terms: list[str]) -> Signals:
        pattern = answer_pattern(query[:MAX_QUERY_CHARS])
        query_vector = self.embed_query(query)
        return Signals(
            language=query_language(query[:MAX_QUERY_CHARS]),
            bm25=self._sparse.scores(self._bm25_terms(query, terms)),
            chars=self._char_scores(query),
            dense=self._vectors @ query_vector,
            sentence=self._best_sentence(query_vector),
            cue=None if pattern is None else self._cue(pattern),
        )

    def _best_sentence(self, query_vector: np.ndarray) -> np.ndarray:
        """Per passage, the best cosine of one of its sentences with the query (-1 for a
        passage without sentences): a passage that answers in one sentence among others
        on other matters ranks by that sentence."""
        out = np.full(len(self.passages), -1.0, dtype=np.float32)
        if len(self._segment_starts):
            cosines = self._sentence_vectors @ query_vector
            out[self._with_sentences] = np.maximum.reduceat(cosines, self._segment_starts)
        return out

    def _char_scores(self, query: str) -> np.ndarray:
        if self._chars is None:
            return np.zeros(len(self.passages), dtype=np.float32)
        question = set(QUESTION_WORDS)
        text = " ".join(w for w in words(query[:MAX_QUERY_CHARS]) if w not in question)
        return self._chars.scores(list(dict.fromkeys(char_ngrams(text))))

    def _cue(self, pattern: re.Pattern[str]) -> np.ndarray:
        """1.0 for passages matching `pattern`, else 0.0 (cached per pattern)."""
        rows = self._cue_rows.get(pattern.pattern)
        if rows is None:
            rows = np.array([bool(pattern.search(p.text)) for p in self.passages], np.float32)
            self._cue_rows[pattern.pattern] = rows
        return rows

    def _query_terms(self, query: str) -> list[str]:
        """BM25 query terms: analysed words minus question words, once each, plus the
        acronyms of spelled-out long forms. Acronyms are not expanded to their long forms
        here: the report mostly uses the acronym, so the long form's words would only
        favour the one passage that defines it (measured: Dutch recall@5 0.70 -> 0.74)."""
        text = query[:MAX_QUERY_CHARS]
        terms = [t for t in self._analyzer.analyze(text) if t not in self._question_terms]
        if not terms:
            return []
        extra = self._expander.acronyms(text)
        if extra:
            terms += self._analyzer.analyze(" ".join(extra))
        return list(dict.fromkeys(terms))

    def _bm25_terms(self, query: str, terms: list[str]) -> list[str]:
        """`terms`, or for an English query those of its Dutch translation (the original
        terms when nothing translates)."""
        text = query[:MAX_QUERY_CHARS]
        translated = self.translate(text)
        return terms if translated == text else self._query_terms(translated) or terms

    def gloss(self, query: str) -> str:
        """The Dutch words of an English `query` by the index's dictionary table, whether or
        not search translates (MINUSMA_TRANSLATE_ENGLISH); the query itself otherwise."""
        text = query[:MAX_QUERY_CHARS]
        if not len(self._dictionary) or query_language(text) != "en":
            return text
        return self._dictionary.translate(text)

    def translate(self, query: str) -> str:
        """The Dutch words BM25 searches for an English `query`; the query itself otherwise."""
        text = query[:MAX_QUERY_CHARS]
        if not len(self._translator) or query_language(text) != "en":
            return text
        return self._translator.translate(text)

    def _search_one(self, query: str, terms: list[str], *, k: int, mode: SearchMode) -> list[Hit]:
        if mode == "bm25":
            sparse = self._sparse.scores(self._bm25_terms(query, terms))
            top = [(int(i), float(sparse[i])) for i in top_positions(sparse, k) if sparse[i] > 0]
            return self._hits(top, sparse=sparse, dense=None)
        qvec = self.embed_query(query)
        if mode == "dense":
            scores, ids = self._dense.search(qvec[None, :], k=k)
            top = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
            return self._hits(top, sparse=None, dense=self._vectors @ qvec)
        signals = self._signals(query, terms)
        ranking = fuse(signals, self._fusion[signals.language])[:k]
        return self._hits(ranking, sparse=signals.bm25, dense=signals.dense)

    def _hits(
        self,
        ranking: Sequence[tuple[int, float]],
        *,
        sparse: np.ndarray | None,
        dense: np.ndarray | None,
    ) -> list[Hit]:
        return [
            Hit(
                passage=self.passages[i],
                score=float(score),
                rank=rank,
                dense_score=None if dense is None else float(dense[i]),
                sparse_score=None if sparse is None else float(sparse[i]),
            )
            for rank, (i, score) in enumerate(ranking, start=1)
        ]


def _rank_of(scores: np.ndarray, position: int) -> int:
    """1-based rank of `position` in `scores` (ties share the better rank)."""
    return int(np.count_nonzero(scores > scores[position])) + 1


def _sentence_segments(
    passages: Sequence[Passage], rows: Mapping[str, tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray]:
    """(positions of the passages that have sentences, the first sentence row of each):
    the segments of the sentence matrix that `np.maximum.reduceat` reduces per passage."""
    with_sentences = [i for i, p in enumerate(passages) if p.passage_id in rows]
    starts = [rows[passages[i].passage_id][0] for i in with_sentences]
    return np.array(with_sentences, dtype=np.int64), np.array(starts, dtype=np.int64)


def _rows_by_passage(sentences: list[Sentence]) -> dict[str, tuple[int, int]]:
    rows: dict[str, tuple[int, int]] = {}
    for row, sentence in enumerate(sentences):
        start, _ = rows.get(sentence.passage_id, (row, row))
        rows[sentence.passage_id] = (start, row + 1)
    return rows
