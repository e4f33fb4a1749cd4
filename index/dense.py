"""FAISS inner-product index over L2-normalised vectors: exact (flat) or HNSW."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import faiss
import numpy as np

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 64

FaissType = Literal["flat", "hnsw"]


class DenseIndex:
    """Cosine search (inner product of normalised vectors) with FAISS."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @property
    def size(self) -> int:
        """Number of vectors."""
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        """Vector dimension."""
        return int(self._index.d)

    @classmethod
    def build(cls, vectors: np.ndarray, *, kind: FaissType = "flat") -> DenseIndex:
        """Index (n, dim) normalised float32 vectors."""
        dim = int(vectors.shape[1])
        index: faiss.Index
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            index = faiss.IndexFlatIP(dim)
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    def search(self, queries: np.ndarray, *, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k'), best first; k' = min(k, size)."""
        k = max(1, min(k, self.size))
        scores, ids = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return scores, ids

    def vectors(self) -> np.ndarray:
        """All stored vectors, (size, dim)."""
        return np.asarray(self._index.reconstruct_n(0, self.size), dtype=np.float32)

    def save(self, path: Path) -> None:
        """Write the index to one file."""
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        """Read an index written by `save` (raises RuntimeError on a corrupt file)."""
        index = faiss.read_index(str(path))
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = HNSW_EF_SEARCH
        return cls(index)
