"""LangChain `BaseRetriever` over a HybridIndex: ranked passages as `Document`s."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from index.hybrid import HybridIndex
from index.models import Hit, SearchMode


class HybridRetriever(BaseRetriever):
    """`HybridRetriever(index=load_index(...), k=5).invoke("vraag")` -> list[Document].

    Each Document's metadata holds passage_id, section, section_title, page and score.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Any  # HybridIndex (Any: pydantic need not validate it)
    k: int = 5
    mode: SearchMode = "hybrid"

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        index: HybridIndex = self.index
        return [to_document(hit) for hit in index.search(query, k=self.k, mode=self.mode)]


def to_document(hit: Hit) -> Document:
    """One hit as a LangChain Document."""
    passage = hit.passage
    return Document(
        page_content=passage.text,
        id=passage.passage_id,
        metadata={
            "passage_id": passage.passage_id,
            "section": passage.section,
            "section_title": passage.section_title,
            "page": passage.page,
            "score": hit.score,
            "rank": hit.rank,
            "kind": passage.kind.value,
        },
    )
