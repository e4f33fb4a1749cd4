"""Sentence-transformers embeddings, batch first, with an on-disk cache keyed by (model, text).

The model is loaded lazily and once per process (`_load_model` is cached by name), so a
rebuild whose texts are all in the cache never imports torch or loads the model at all.
With a `document_encoder` (the model's float ONNX export, which an index serving queries by
ONNX carries anyway) documents are embedded by onnxruntime on all cores instead: the same
vectors (cosine > 0.99999) in about 30% less time (bench/bench_build.py).
"""

from __future__ import annotations

import functools
import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.errors import IndexError_

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from index.onnx_encoder import OnnxQueryEncoder

BATCH_SIZE = 64
# Queries longer than this are cut before tokenising: the model sees at most 256 tokens
# anyway, and tokenising 100 KB of text would only cost time.
MAX_QUERY_CHARS = 4000
_MODEL_LOCK = threading.Lock()


class EmbeddingError(IndexError_):
    """The embedding model cannot be loaded or run."""


@functools.cache
def _load_model(model: str) -> SentenceTransformer:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(model, device="cpu")
    except Exception as exc:  # any loader failure becomes one message naming the fix
        raise EmbeddingError(
            f"cannot load embedding model {model!r} ({type(exc).__name__}: {exc}); set "
            "MINUSMA_EMBEDDING_MODEL to a local sentence-transformers folder or an "
            "installed model name"
        ) from exc


def get_model(model: str) -> SentenceTransformer:
    """The process-wide SentenceTransformer for `model` (loaded on first use)."""
    with _MODEL_LOCK:
        return _load_model(model)


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


def text_key(text: str) -> str:
    """The cache key of an already-prefixed text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_identity(model: str, model_label: str) -> str:
    """The cache's model key: the label, plus a fingerprint of the weights of a local model.

    A model folder re-trained in place keeps its path but not its vectors, so the size and
    modification time of its weight files are part of the key.
    """
    folder = Path(model)
    if not folder.is_dir():
        return model_label
    digest = hashlib.sha256()
    for weights in sorted(folder.rglob("*")):
        if weights.suffix in {".safetensors", ".bin", ".onnx"} and weights.is_file():
            stat = weights.stat()
            digest.update(
                f"{weights.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns};".encode()
            )
    return f"{model_label}@{digest.hexdigest()[:16]}"


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
    ) -> None:
        """`document_encoder`, when given, returns the model's float ONNX export (called
        only when some text is not in the cache) and documents are embedded with it."""
        self.model_name = model
        self._document_encoder_path = document_encoder
        self._document_encoder: OnnxQueryEncoder | None = None
        # With an ONNX export, queries are embedded without torch (see index/onnx_encoder.py).
        self.query_encoder_path = query_encoder_path
        self._query_encoder: OnnxQueryEncoder | None = None
        self.model_label = model_label
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self._cache_path = cache_dir / "embeddings.sqlite" if cache_dir else None
        self.embedded = 0  # texts sent to the model by embed_passages
        self.cache_hits = 0
        self.queries_embedded = 0  # texts sent to the model by embed_queries

    @property
    def dimension(self) -> int:
        """Embedding dimension (loads the model)."""
        dim = get_model(self.model_name).get_sentence_embedding_dimension()
        if not dim:
            raise EmbeddingError(f"model {self.model_name!r} does not report its dimension")
        return int(dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) L2-normalised float32 vectors of document texts, through the cache."""
        prefixed = [self.passage_prefix + t for t in texts]
        if self._cache_path is None:
            self.embedded += len(prefixed)
            return self._encode_documents(prefixed)
        cache = EmbeddingCache(
            self._cache_path, model_label=cache_identity(self.model_name, self.model_label)
        )
        try:
            return self._embed_cached(prefixed, cache)
        finally:
            cache.close()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) L2-normalised float32 vectors of queries (query prefix applied)."""
        self.queries_embedded += len(texts)
        prefixed = [self.query_prefix + t[:MAX_QUERY_CHARS] for t in texts]
        if self.query_encoder_path is None:
            return self._encode(prefixed)
        if self._query_encoder is None:
            from index.onnx_encoder import OnnxQueryEncoder

            tokenizer = Path(self.model_name) / "tokenizer.json"
            self._query_encoder = OnnxQueryEncoder(self.query_encoder_path, tokenizer)
        return self._query_encoder.encode(prefixed)

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
        if self._document_encoder_path is None or not texts:
            return self._encode(texts)
        if self._document_encoder is None:
            from index.onnx_encoder import OnnxQueryEncoder

            self._document_encoder = OnnxQueryEncoder(
                self._document_encoder_path(),
                Path(self.model_name) / "tokenizer.json",
                threads=_available_cores(),
                batch_size=16,  # on the report's sentences faster than 32 or 64
            )
        return self._document_encoder.encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = get_model(self.model_name)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        try:
            import torch

            with torch.inference_mode():
                vectors: Any = model.encode(
                    texts,
                    batch_size=BATCH_SIZE,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
        except Exception as exc:
            raise EmbeddingError(
                f"embedding with {self.model_name!r} failed ({type(exc).__name__}: {exc}); "
                "check MINUSMA_EMBEDDING_MODEL"
            ) from exc
        return np.asarray(vectors, dtype=np.float32)
