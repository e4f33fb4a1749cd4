"""GET /health: liveness and what is being served (no API key needed)."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import IndexDep
from service.schemas import HealthResponse

router = APIRouter(tags=["health"])


@router.get("/health")
def health(index: IndexDep) -> HealthResponse:
    """Status, passage count, embedding model and when the index was built."""
    return HealthResponse(
        status="ok",
        passages=len(index.passages),
        embedding_model=index.manifest.embedding_model,
        index_built_at=index.manifest.built_at,
    )
