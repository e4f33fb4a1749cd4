"""GET /api/passages/{id}, /api/sections, /api/findings, /api/glossary: reading the report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from ingest.models import Passage, PassageKind
from service.cite import format_citation
from service.deps import IndexDep
from service.routes.views import passage_detail
from service.schemas import (
    ChapterEntry,
    ErrorResponse,
    Finding,
    FindingsResponse,
    GlossaryEntry,
    GlossaryResponse,
    PassageDetail,
    Recommendation,
    SectionEntry,
    SectionsResponse,
)

router = APIRouter(tags=["report"])
MAX_ID_ECHO = 60
MAX_ID_CHARS = 200


@router.get(
    "/passages/{passage_id}",
    responses={
        404: {"model": ErrorResponse, "description": "No passage with that id"},
        422: {"model": ErrorResponse, "description": "Id longer than 200 characters"},
    },
)
def passage(
    passage_id: Annotated[str, Path(max_length=MAX_ID_CHARS)], index: IndexDep
) -> PassageDetail:
    """One passage with the ids of its neighbours in document order."""
    found = index.passage(passage_id)
    if found is None:
        shown = passage_id[:MAX_ID_ECHO].encode("ascii", "backslashreplace").decode()
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND,
            detail=f"no passage with id '{shown}'; ids look like '4.3.4-p3' "
            "(GET /api/sections lists them)",
        )
    prev_id, next_id = index.neighbours(passage_id)
    return passage_detail(found, prev_id=prev_id, next_id=next_id)


@router.get("/sections")
def sections(index: IndexDep) -> SectionsResponse:
    """The table of contents: chapters, their sections, and each section's passage ids."""
    return SectionsResponse(chapters=table_of_contents(index.passages))


@router.get("/findings")
def findings(index: IndexDep) -> FindingsResponse:
    """Chapter 8's numbered findings, each with its recommendations and passage ids."""
    return FindingsResponse(findings=numbered_findings(index.passages))


@router.get("/glossary")
def glossary(index: IndexDep) -> GlossaryResponse:
    """The acronyms the report defines."""
    entries = sorted(index.glossary().items(), key=lambda item: item[0].casefold())
    return GlossaryResponse(entries=[GlossaryEntry(acronym=a, expansion=e) for a, e in entries])


def table_of_contents(passages: Sequence[Passage]) -> list[ChapterEntry]:
    """Group passages (in document order) by chapter, then section, keeping first-seen order."""
    chapters: dict[str, ChapterEntry] = {}
    sections: dict[tuple[str, str], SectionEntry] = {}
    for p in passages:
        chapter = chapters.get(p.chapter)
        if chapter is None:
            chapter = ChapterEntry(chapter=p.chapter, title=p.chapter_title, sections=[])
            chapters[p.chapter] = chapter
        key = (p.chapter, p.section)
        section = sections.get(key)
        if section is None:
            section = SectionEntry(section=p.section, title=p.section_title, passage_ids=[])
            sections[key] = section
            chapter.sections.append(section)
        section.passage_ids.append(p.passage_id)
    return list(chapters.values())


def numbered_findings(passages: Sequence[Passage]) -> list[Finding]:
    """Finding passages grouped by their number, with the recommendations of that number."""
    grouped: dict[str, list[Passage]] = {}
    recommendations: dict[str, list[Passage]] = {}
    for p in passages:
        if p.label is None:
            continue
        if p.kind is PassageKind.FINDING:
            grouped.setdefault(p.label, []).append(p)
        elif p.kind is PassageKind.RECOMMENDATION:
            recommendations.setdefault(p.label, []).append(p)
    return [
        _finding(label, parts, recommendations.get(label, [])) for label, parts in grouped.items()
    ]


def _finding(label: str, parts: list[Passage], recs: list[Passage]) -> Finding:
    first = parts[0]
    return Finding(
        label=label,
        text=first.text,
        section=first.section,
        section_title=first.section_title,
        page=first.page,
        passage_ids=[p.passage_id for p in parts],
        recommendations=[Recommendation(passage_id=r.passage_id, text=r.text) for r in recs],
        citation=format_citation(first),
    )
