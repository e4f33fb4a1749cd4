"""The `Embedder`: passages and queries through an encoder, with an on-disk cache keyed by
(model, text).

Documents are embedded by sentence-transformers (`encoders/torch.py`), loaded lazily and
once per process, so a rebuild whose texts are all in the cache never imports torch or
loads the model at all. With a `document_encoder` (the model's float ONNX export, which an
index serving queries by ONNX carries anyway) documents are embedded by onnxruntime on all
cores instead: the same vectors (cosine > 0.99999) in about 30% less time
(bench/bench_build.py). With a `query_encoder_path`, queries are embedded by ONNX too.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing, suppress
from functools import cached_property
from pathlib import Path

import numpy as np

from index.encoders.base import Encoder
from index.encoders.torch import TorchEncoder
from index.models import IndexConfig

# Queries longer than this are cut before tokenising: the model sees at most 256 tokens
# anyway, and tokenising 100 KB of text would only cost time.
MAX_QUERY_CHARS = 4000
EMBEDDINGS_FILE = "embeddings.sqlite"  # the embedding cache, in the cache directory


class EmbeddingCache:
    """Vectors keyed by (model label, sha256 of prefixed text) in one SQLite file."""

    def __init__(self, path: Path, *, model_label: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._model_label = model_label
        self._conn = sqlite3.connect(str(path), timeout=30)
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS vectors ("
            "model TEXT NOT NULL, key TEXT NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (model, key))"
        )

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among `keys`."""
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT key, vec FROM vectors WHERE model = ? AND key IN ({marks})",
                [self._model_label, *chunk],
            )
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        """Store vectors (float32)."""
        rows = [
            (self._model_label, key, np.asarray(vec, dtype=np.float32).tobytes())
            for key, vec in items.items()
        ]
        with self._conn:
            self._conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()


def cached_models(path: Path) -> list[tuple[str, int]]:
    """Each model identity in the embedding cache at `path`, with the bytes of its rows.

    Raises:
        sqlite3.DatabaseError: the file is not an embedding cache.
    """
    with closing(sqlite3.connect(str(path), timeout=30)) as conn:
        rows = conn.execute("SELECT model, SUM(LENGTH(key) + LENGTH(vec)) FROM vectors GROUP BY 1")
        return [(model, int(size or 0)) for model, size in sorted(rows)]


def forget_models(path: Path, models: Sequence[str]) -> None:
    """Delete the vectors of `models` from the embedding cache at `path`, in one transaction,
    and give the pages back to the file system (VACUUM; when a build holds the database,
    the freed pages are reused by its later rows instead).

    Raises:
        sqlite3.DatabaseError: the file is not an embedding cache.
    """
    with closing(sqlite3.connect(str(path), timeout=30)) as conn:
        with conn:
            conn.executemany("DELETE FROM vectors WHERE model = ?", [(m,) for m in models])
        with suppress(sqlite3.OperationalError):
            conn.execute("VACUUM")


def text_key(text: str) -> str:
    """The cache key of an already-prefixed text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS reports one)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


class Embedder:
    """Embeds passages and queries with one model; counts what it really embedded."""

    def __init__(
        self,
        model: str,
        *,
        model_label: str,
        query_prefix: str = "",
        passage_prefix: str = "",
        cache_dir: Path | None = None,
        query_encoder_path: Path | None = None,
        document_encoder: Callable[[], Path] | None = None,
        document_quantised: bool = False,
    ) -> None:
        """`document_encoder`, when given, returns an ONNX export of the model (called only
        when some text is not in the cache) and documents are embedded with it;
        `document_quantised` says it is the int8 one, whose vectors the cache keeps apart."""
        self.model_name = model
        self.model_label = model_label
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.query_encoder_path = query_encoder_path
        self._document_export = document_encoder
        self._document_quantised = document_quantised
        self._cache_path = cache_dir / EMBEDDINGS_FILE if cache_dir else None
        self._torch = TorchEncoder(model, label=model_label)
        self.embedded = 0  # texts sent to the model by embed_passages
        self.cache_hits = 0
        self.queries_embedded = 0  # texts sent to the model by embed_queries

    @classmethod
    def from_config(
        cls,
        config: IndexConfig,
        *,
        query_encoder_path: Path | None = None,
        document_encoder: Callable[[], Path] | None = None,
        document_quantised: bool = False,
    ) -> Embedder:
        """The embedder of `config`'s model, prefixes and cache."""
        return cls(
            config.model,
            model_label=config.model_label,
            query_prefix=config.query_prefix,
            passage_prefix=config.passage_prefix,
            cache_dir=config.cache_dir,
            query_encoder_path=query_encoder_path,
            document_encoder=document_encoder,
            document_quantised=document_quantised,
        )

    @property
    def dimension(self) -> int:
        """Embedding dimension (loads the torch model)."""
        return self._torch.dimension

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) L2-normalised float32 vectors of document texts, through the cache."""
        prefixed = [self.passage_prefix + t for t in texts]
        if self._cache_path is None:
            self.embedded += len(prefixed)
            return self._encode_documents(prefixed)
        # The torch model and its float export give the same vectors and share the model's
        # identity, so the key needs no export; the int8 export's vectors are kept apart.
        cache = EmbeddingCache(self._cache_path, model_label=self.document_identity)
        try:
            return self._embed_cached(prefixed, cache)
        finally:
            cache.close()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) L2-normalised float32 vectors of queries (query prefix applied).

        One text per model call: the int8 export quantises activations per batch, so a
        query embedded beside others got another vector (cosine 0.995-0.997) than alone,
        and a claim's, an eval's or a batch search's answers depended on their neighbours.
        """
        self.queries_embedded += len(texts)
        if not texts:
            return np.zeros((0, self._query_encoder.dimension), dtype=np.float32)
        rows = [
            self._query_encoder.encode([self.query_prefix + t[:MAX_QUERY_CHARS]]) for t in texts
        ]
        return np.concatenate(rows)

    @cached_property
    def _query_encoder(self) -> Encoder:
        """ONNX when the index carries an export (no torch in the served process), else torch."""
        if self.query_encoder_path is None:
            return self._torch
        from index.encoders.onnx import OnnxEncoder

        return OnnxEncoder(self.query_encoder_path, Path(self.model_name) / "tokenizer.json")

    @property
    def document_identity(self) -> str:
        """The model key the cache keeps this embedder's document vectors under."""
        if not self._document_quantised:
            return self._torch.identity
        from index.encoders.onnx import QUANTISATION

        return f"{self._torch.identity}+{QUANTISATION}"

    @cached_property
    def _document_encoder(self) -> Encoder:
        """The ONNX export on all cores when there is one (made on first use), else torch."""
        if self._document_export is None:
            return self._torch
        from index.encoders.onnx import OnnxEncoder

        return OnnxEncoder(
            self._document_export(),
            Path(self.model_name) / "tokenizer.json",
            threads=_available_cores(),
            batch_size=16,  # on the report's sentences faster than 32 or 64
            identity=self.document_identity,
        )

    def _embed_cached(self, texts: list[str], cache: EmbeddingCache) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        found = cache.get_many(sorted(set(keys)))
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        self.cache_hits += len(texts) - sum(1 for k in keys if k not in found)
        if missing:
            vectors = self._encode_documents([t for _, t in missing])
            self.embedded += len(missing)
            new = {key: vec for (key, _), vec in zip(missing, vectors, strict=True)}
            cache.put_many(new)
            found.update(new)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def _encode_documents(self, texts: list[str]) -> np.ndarray:
        # No texts: torch gives the model's dimension without making the ONNX export.
        encoder = self._document_encoder if texts else self._torch
        return encoder.encode(texts)
