"""The LangChain retriever adapter returns Documents with the passage metadata."""

from __future__ import annotations

from langchain_core.documents import Document

from index.hybrid import HybridIndex
from index.retriever import HybridRetriever


def test_retriever_returns_documents(small_index: HybridIndex) -> None:
    retriever = HybridRetriever(index=small_index, k=3)
    docs = retriever.invoke("helikopters Apaches Chinooks")
    assert 0 < len(docs) <= 3
    assert all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert top.metadata["passage_id"] == "4.1.1-p6"
    assert top.page_content == small_index.passage("4.1.1-p6").text  # type: ignore[union-attr]
    assert set(top.metadata) >= {"passage_id", "section", "section_title", "page", "score"}
    assert top.metadata["section"] == "4.1.1"
    assert [d.metadata["score"] for d in docs] == sorted(
        (d.metadata["score"] for d in docs), reverse=True
    )


def test_retriever_empty_query(small_index: HybridIndex) -> None:
    assert HybridRetriever(index=small_index).invoke("   ") == []
