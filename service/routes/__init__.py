"""HTTP routes, one module per concern; `api_router()` assembles the /api part."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from service.routes import ask, browse, lookup
from service.security import require_api_key


def api_router() -> APIRouter:
    """All /api routes, behind the optional API key."""
    router = APIRouter(prefix="/api", dependencies=[Depends(require_api_key)])
    router.include_router(ask.router)
    router.include_router(lookup.router)
    router.include_router(browse.router)
    return router
