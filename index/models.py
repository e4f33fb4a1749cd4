"""The typed records index/ hands out: Hit, Sentence, IndexConfig and the Manifest."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from ingest.models import Passage

SearchMode = Literal["hybrid", "bm25", "dense"]
FORMAT_VERSION = (
    3  # 2: character n-gram BM25 field and fusion weights; 3: title+text passage vectors
)


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked search result."""

    passage: Passage
    score: float  # fused score (higher is better); scale depends on the mode
    rank: int  # 1-based
    dense_score: float | None  # cosine of query vs passage (None if dense not computed)
    sparse_score: float | None  # raw BM25 score (None if not computed)


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a passage ranks where it does for a query (diagnosis of retrieval misses).

    Ranks are 1-based over all passages (ties share the better rank); `fused_rank` is None
    when the passage is not among the fusion's candidates. `shared_terms` are the query's
    BM25 terms that the passage (section title + text) also contains: none means a
    vocabulary mismatch that no lexical signal can bridge.
    """

    passage_id: str
    fused_rank: int | None
    bm25_rank: int
    chars_rank: int
    dense_rank: int
    shared_terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a passage: `passage.text[start:end] == text`."""

    passage_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class IndexConfig:
    """What the index is built with; the composition root makes one (`Settings.index_config`)."""

    model: str  # resolved sentence-transformers name or path
    model_label: str  # what the manifest records ("packaged:all-MiniLM-L6-v2" or the name)
    query_prefix: str = ""
    passage_prefix: str = ""
    faiss_index_type: Literal["flat", "hnsw"] = "flat"
    max_passage_tokens: int = 200
    cache_dir: Path | None = None
    query_encoder: str = "torch"  # "onnx" or "onnx-int8": serve queries from an ONNX export
    # FreeDict dictd files for English query translation (index/translate.py); the build
    # stores no translations when they are absent there
    dictionary_dir: Path = Path("/usr/share/dictd")
    # Search (and answer) English queries with their Dutch translation from that table;
    # off by default (MINUSMA_TRANSLATE_ENGLISH)
    translate_english: bool = False
    # language -> signal -> weight for hybrid search; None: index.fusion.FUSION_WEIGHTS
    # (fitted for multilingual-e5-small; the registry gives other packaged models their own)
    fusion: dict[str, dict[str, float]] | None = None


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A source file the index was built from."""

    source: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Manifest:
    """`manifest.json`: what an index directory holds and how it was built."""

    format_version: int
    built_at: str  # ISO 8601, UTC
    embedding_model: str  # the config's model_label
    dimension: int
    normalised: bool
    query_prefix: str
    passage_prefix: str
    faiss_index_type: str
    passage_vectors: str  # what a passage vector embeds (build.PASSAGE_VECTORS)
    max_passage_tokens: int
    sources: tuple[SourceRecord, ...]
    counts: dict[str, int]  # passages, sentences, glossary, embedded, cache_hits, ...
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    # language -> signal -> weight, used by hybrid search (see index.fusion.FUSION_WEIGHTS)
    fusion: dict[str, dict[str, float]] = field(default_factory=dict)
    build_seconds: float = 0.0
    query_encoder: str = "torch"  # "onnx": query_encoder.onnx in the index serves queries
    # SHA-256 of the ingest and index code that built it (`pipeline_fingerprint`): a code
    # change that may change passages or index files makes `index --if-needed` rebuild
    pipeline: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        data["sources"] = [asdict(s) for s in self.sources]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """Inverse of `to_dict`; raises KeyError/TypeError on a malformed dict."""
        values = dict(data)
        values["sources"] = tuple(SourceRecord(**s) for s in values["sources"])
        return cls(**values)
