"""BM25 over analysed passages (bm25s): build, score, save, load."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

K1 = 1.2
B = 0.75


class SparseIndex:
    """A bm25s index over pre-analysed documents (lists of terms)."""

    def __init__(self, retriever: bm25s.BM25, n_docs: int) -> None:
        self._bm25 = retriever
        self.n_docs = n_docs

    @classmethod
    def build(cls, documents: Sequence[Sequence[str]]) -> SparseIndex:
        """Index documents given as term lists (one per passage, in passage order)."""
        retriever = bm25s.BM25(k1=K1, b=B)
        retriever.index([list(doc) for doc in documents], show_progress=False)
        return cls(retriever, len(documents))

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query terms (zeros if none is known)."""
        ids = self._bm25.get_tokens_ids([t for t in terms if t])
        if not ids:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)

    def save(self, directory: Path) -> None:
        """Write the bm25s files into `directory`."""
        self._bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, *, n_docs: int) -> SparseIndex:
        """Read an index written by `save`."""
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        retriever = bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)
        return cls(retriever, n_docs)
