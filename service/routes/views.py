"""Turn internal records (Passage, Hit, Answer, CiteResult) into response models at the edge."""

from __future__ import annotations

from typing import Any

from index.models import Hit
from ingest.models import Passage
from service.answer import Answer
from service.cite import CiteResult, format_citation
from service.schemas import (
    AskResponse,
    Citation,
    CiteMatch,
    CiteResponse,
    PassageDetail,
    PassageHit,
)


def _passage_fields(passage: Passage) -> dict[str, Any]:
    """The response fields every view of a passage shares."""
    return {
        "passage_id": passage.passage_id,
        "text": passage.text,
        "chapter": passage.chapter,
        "section": passage.section,
        "section_title": passage.section_title,
        "paragraph": passage.paragraph,
        "page": passage.page,
        "kind": passage.kind.value,
        "label": passage.label,
        "citation": format_citation(passage),
    }


def passage_hit(passage: Passage, score: float) -> PassageHit:
    """A passage with its score, as search and ask list it."""
    return PassageHit(**_passage_fields(passage), score=round(float(score), 6))


def passage_detail(passage: Passage, *, prev_id: str | None, next_id: str | None) -> PassageDetail:
    """A passage with its neighbours' ids, as GET /api/passages/{id} returns it."""
    return PassageDetail(
        **_passage_fields(passage),
        chapter_title=passage.chapter_title,
        prev_id=prev_id,
        next_id=next_id,
    )


def hits_view(hits: list[Hit]) -> list[PassageHit]:
    """Search hits in rank order."""
    return [passage_hit(hit.passage, hit.score) for hit in hits]


def answer_view(answer: Answer) -> AskResponse:
    """The /api/ask response."""
    citations = [
        Citation(
            n=c.n,
            passage_id=c.passage.passage_id,
            quote=c.quote,
            section=c.passage.section,
            section_title=c.passage.section_title,
            page=c.passage.page,
            paragraph=c.passage.paragraph,
            citation=format_citation(c.passage),
        )
        for c in answer.citations
    ]
    return AskResponse(
        answer=answer.answer,
        grounded=answer.grounded,
        citations=citations,
        passages=hits_view(answer.hits),
        timings_ms=answer.timings_ms,
        mode=answer.mode,
        language=answer.language,
        confidence=round(answer.confidence, 4),
        notice=answer.notice,
    )


def cite_view(result: CiteResult) -> CiteResponse:
    """The /api/cite response for one claim."""
    return CiteResponse(
        claim=result.claim,
        verdict=result.verdict,
        matches=[
            CiteMatch(
                passage_id=m.passage.passage_id,
                quote=m.quote,
                text=m.passage.text,
                section=m.passage.section,
                section_title=m.passage.section_title,
                page=m.passage.page,
                paragraph=m.passage.paragraph,
                score=round(m.score, 4),
                citation=format_citation(m.passage),
            )
            for m in result.matches
        ],
        supported_parts=list(result.supported_parts),
        unsupported_parts=list(result.unsupported_parts),
    )
