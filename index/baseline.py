"""LangChain's default RAG recipe, kept as the baseline row of the retrieval table.

RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) over the raw report
text, the same embedding model as the index (through a thin `Embeddings` adapter over
our cached `Embedder`), and langchain_community's FAISS vector store.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from index.embed import Embedder
from index.models import IndexConfig

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200


class EmbedderAdapter(Embeddings):
    """LangChain `Embeddings` over the project's Embedder (same model, same cache)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passage-side vectors."""
        return self._embedder.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Query-side vector."""
        return self._embedder.embed_queries([text])[0].tolist()


class LangChainBaseline:
    """The default recipe's vector store over one or more text files."""

    def __init__(self, sources: Sequence[Path], *, config: IndexConfig) -> None:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from langchain_community.vectorstores import FAISS

        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP
        )
        documents = splitter.create_documents(
            [Path(s).read_text(encoding="utf-8") for s in sources],
            metadatas=[{"source": Path(s).name} for s in sources],
        )
        embedder = Embedder.from_config(config)
        self.chunks = documents
        self._store = FAISS.from_documents(documents, EmbedderAdapter(embedder))

    def search(self, query: str, *, k: int = 10) -> list[Document]:
        """The k most similar chunks (the recipe's `similarity_search`)."""
        if not query.strip():
            return []
        return self._store.similarity_search(query, k=k)
