"""The evaluation's only way to the service: JSON over HTTP, timed per endpoint.

In process the transport is FastAPI's TestClient (an httpx.Client over the ASGI app);
against a running service it is a plain httpx.Client. Everything above this module is the
same for both.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, cast
from urllib.parse import quote

import httpx

from eval.errors import EvalError
from service.settings import Settings

API_KEY_HEADER = "X-API-Key"


class Transport(Protocol):
    """What the client needs of httpx.Client (and of TestClient, which subclasses it)."""

    def request(self, method: str, url: str, *, json: Any = None) -> httpx.Response: ...


class ServiceClient:
    """JSON calls to the API with wall-clock timings (ms) per endpoint name."""

    def __init__(self, http: Transport, *, where: str) -> None:
        self._http = http
        self.where = where
        self.latency_ms: dict[str, list[float]] = defaultdict(list)

    def health(self) -> dict[str, Any]:
        """GET /health."""
        return self._call("GET", "/health", timed=None)

    def passage_ids(self) -> list[str]:
        """All passage ids in document order, from the table of contents."""
        toc = self._call("GET", "/api/sections", timed=None)
        return [
            pid
            for chapter in toc["chapters"]
            for section in chapter["sections"]
            for pid in section["passage_ids"]
        ]

    def passage(self, passage_id: str) -> dict[str, Any]:
        """GET /api/passages/{id}."""
        return self._call("GET", f"/api/passages/{quote(passage_id, safe='')}", timed=None)

    def search(self, query: str, *, top_k: int) -> dict[str, Any]:
        """POST /api/search."""
        return self._call("POST", "/api/search", {"query": query, "top_k": top_k}, timed="search")

    def ask(self, question: str, *, top_k: int) -> dict[str, Any]:
        """POST /api/ask (extractive)."""
        body = {"question": question, "top_k": top_k}
        return self._call("POST", "/api/ask", body, timed="ask")

    def cite(self, claim: str, *, top_k: int) -> dict[str, Any]:
        """POST /api/cite."""
        return self._call("POST", "/api/cite", {"claim": claim, "top_k": top_k}, timed="cite")

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, timed: str | None
    ) -> Any:
        start = time.perf_counter()
        try:
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise EvalError(
                f"cannot reach the service at {self.where} ({exc.__class__.__name__}); "
                "start it with `make run` or drop --against to evaluate in process"
            ) from None
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise EvalError(
                f"{method} {path} answered {response.status_code}: {response.text[:200]}; "
                "check the service (and MINUSMA_API_KEY if it requires a key)"
            )
        if timed is not None:
            self.latency_ms[timed].append(elapsed)
        return response.json()


@contextmanager
def in_process(settings: Settings) -> Iterator[ServiceClient]:
    """The app built from `settings`, served through TestClient (lifespan runs: index loads)."""
    from fastapi.testclient import TestClient

    from service.app import create_app

    with TestClient(create_app(settings), headers=_headers(settings)) as http:
        # TestClient subclasses httpx.Client; its stubs override `request` with other
        # parameter types, which mypy will not match structurally.
        yield ServiceClient(cast(Transport, http), where="in-process")


@contextmanager
def remote(url: str, *, settings: Settings, timeout_s: float = 60.0) -> Iterator[ServiceClient]:
    """A running service at `url` (same API, same code path above this module)."""
    if not url.startswith(("http://", "https://")):
        raise EvalError(f"--against {url!r} is not an http(s) URL; e.g. http://127.0.0.1:8000")
    with httpx.Client(base_url=url, headers=_headers(settings), timeout=timeout_s) as http:
        yield ServiceClient(http, where=url)


def _headers(settings: Settings) -> dict[str, str]:
    key = settings.api_key.get_secret_value() if settings.api_key else None
    return {API_KEY_HEADER: key} if key else {}
