"""POST /api/search, /api/cite and /api/cite/batch."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from service.cite import split_claims
from service.deps import CheckerDep, IndexDep, SettingsDep
from service.routes.ask import ERRORS
from service.routes.views import cite_view, hits_view
from service.schemas import (
    CiteBatchRequest,
    CiteBatchResponse,
    CiteRequest,
    CiteResponse,
    SearchRequest,
    SearchResponse,
)
from service.settings import Settings

router = APIRouter(tags=["lookup"])
MAX_BATCH_CLAIMS = 50


def _limit(text: str, what: str, settings: Settings) -> None:
    if len(text) > settings.max_question_chars:
        raise HTTPException(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"{what} is longer than {settings.max_question_chars} characters; shorten it",
        )


@router.post("/search", responses=ERRORS)
def search(request: SearchRequest, index: IndexDep, settings: SettingsDep) -> SearchResponse:
    """Passages ranked by hybrid (BM25 + embedding) retrieval."""
    _limit(request.query, "query", settings)
    return SearchResponse(results=hits_view(index.search(request.query, k=request.top_k)))


@router.post("/cite", responses=ERRORS)
def cite(request: CiteRequest, checker: CheckerDep, settings: SettingsDep) -> CiteResponse:
    """Find the passages that support a claim or contain a pasted quote."""
    _limit(request.claim, "claim", settings)
    return cite_view(checker.check(request.claim, top_k=request.top_k))


@router.post("/cite/batch", responses=ERRORS)
def cite_batch(request: CiteBatchRequest, checker: CheckerDep) -> CiteBatchResponse:
    """Split a briefing paragraph into claims and look each one up."""
    claims = split_claims(request.text)
    if len(claims) > MAX_BATCH_CLAIMS:
        raise HTTPException(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"text has {len(claims)} sentences; send at most {MAX_BATCH_CLAIMS} at a time",
        )
    return CiteBatchResponse(
        results=[cite_view(checker.check(claim, top_k=request.top_k)) for claim in claims]
    )
