"""HTTP routes, one module per concern; `api_router()` assembles the /api part."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from service.routes import ask, browse, lookup
from service.security import require_api_key
from service.settings import Settings


def api_router(settings: Settings) -> APIRouter:
    """All /api routes; behind the X-API-Key header when the settings configure a key (only
    then does the OpenAPI document declare it)."""
    guard = [Depends(require_api_key)] if settings.api_key is not None else []
    router = APIRouter(prefix="/api", dependencies=guard)
    router.include_router(ask.router)
    router.include_router(lookup.router)
    router.include_router(browse.router)
    return router
