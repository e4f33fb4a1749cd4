"""The FastAPI application factory: `create_app(settings)`.

The index is loaded once in the lifespan and kept on `app.state.engine`; routes receive it
through the dependencies in service/deps.py. Without an index, startup fails with one line
naming the command that builds it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from langchain_core.language_models import BaseChatModel

from index.hybrid import HybridIndex
from service.engine import build_engine
from service.routes import api_router, health
from service.security import install
from service.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"
logger = logging.getLogger("minusma_qa.service")

DESCRIPTION = (
    "Questions and claims about the IOB evaluation of the Dutch contribution to MINUSMA "
    "(2014-2019), answered with sentences of the report and verifiable citations."
)


def create_app(
    settings: Settings,
    *,
    index: HybridIndex | None = None,
    chat_model: BaseChatModel | None = None,
) -> FastAPI:
    """Build the app. `index` / `chat_model` replace what the settings would load (tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = build_engine(settings, index=index, chat_model=chat_model)
        yield

    app = FastAPI(
        title="minusma-qa",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    install(app, settings)
    _add_error_handlers(app)
    app.include_router(api_router(settings))
    app.include_router(health.router)
    if STATIC_DIR.is_dir():
        # After the API routes, so /api/* and /health win over the web chat's files.
        app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="static")
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn (`--factory`, one call per worker): settings from the environment."""
    return served_app(Settings())


def served_app(settings: Settings, *, index: HybridIndex | None = None) -> FastAPI:
    """The app as `minusma-qa serve` runs it, optionally on an index already loaded.

    A served process answers many requests at once, each on its own thread, so every
    computation inside one request runs on `serve_torch_threads` threads (default one):
    torch's, and the BLAS and OpenMP pools of numpy and FAISS. One torch thread per worker
    keeps a query fast when the cores are shared (measured on 2 busy cores: p50 20-30 ms
    with one thread against 110-240 ms with two). numpy's OpenBLAS would otherwise wake
    its threads for every matrix-vector product of a search (the sentence and passage
    cosines): 6.7 ms instead of 0.06 ms each on 2 busy cores, and under 8 concurrent
    searches they contend for the same two cores (CPU per search 19.3 -> 8.7 ms).
    """
    _limit_native_threads(settings.serve_torch_threads)
    if settings.query_encoder == "torch":  # the ONNX encoder runs on one thread, without torch
        import torch

        torch.set_num_threads(settings.serve_torch_threads)
    return create_app(settings, index=index)


def _limit_native_threads(threads: int) -> None:
    """Cap the BLAS and OpenMP thread pools of the libraries loaded now, for good."""
    from threadpoolctl import threadpool_limits

    import index.dense  # noqa: F401  loads FAISS (its OpenMP and BLAS) before the cap

    threadpool_limits(limits=threads)  # not a `with`: the cap holds for the process


def _add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with what is wrong where; never echoes the submitted text back."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "invalid value")),
            "type": str(error.get("type", "value_error")),
        }
        for error in errors
    ]
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail}
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """Last resort: log the trace server-side, answer with JSON and no trace."""
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        content={"detail": "internal error; the server log has the details"},
    )
