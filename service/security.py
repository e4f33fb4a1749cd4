"""Edge protections: optional API key, request body limit, CORS when configured, access log.

The access log is one JSON object per request and never contains the question text unless
`settings.log_questions` is on (the ask route logs it separately in that case).
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.security import APIKeyHeader
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.settings import Settings

API_KEY_HEADER = "X-API-Key"
access_logger = logging.getLogger("minusma_qa.access")

_api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="The key the server was configured with (MINUSMA_API_KEY).",
)


def keys_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison of the presented key with the configured one."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def require_api_key(
    request: Request, given: Annotated[str | None, Depends(_api_key_header)]
) -> None:
    """Dependency for /api/* when a key is configured: the header must match it."""
    settings: Settings = request.app.state.settings
    if settings.api_key is None:
        return
    if not keys_match(given, settings.api_key.get_secret_value()):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail=f"missing or wrong {API_KEY_HEADER} header",
            headers={"WWW-Authenticate": API_KEY_HEADER},
        )


class BodySizeLimit:
    """Refuse request bodies larger than `max_bytes` with 413, before the app reads them.

    The body is read here (at most `max_bytes` + one chunk) and replayed to the app, so a
    chunked upload without Content-Length is limited too.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _send_json(send, 413, self._too_large())
            return
        body, too_large = await _read_body(receive, self.max_bytes)
        if too_large:
            await _send_json(send, 413, self._too_large())
            return
        await self.app(scope, _replay(body, receive), send)

    def _too_large(self) -> dict[str, str]:
        return {"detail": f"request body is larger than {self.max_bytes} bytes; send less text"}


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_body(receive: Receive, max_bytes: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        # After the body, the real channel reports the client's disconnect.
        return await receive()

    return replay


async def _send_json(send: Send, status_code: int, payload: dict[str, str]) -> None:
    body = json.dumps(payload).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class AccessLog:
    """One JSON log line per request: method, path, status, duration (no body, no query text)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_code = 500

        async def record(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            access_logger.info(
                json.dumps(
                    {
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status_code,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    }
                )
            )


def install(app: FastAPI, settings: Settings) -> None:
    """Add the middleware stack: access log outermost, then CORS (if configured), body limit."""
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", API_KEY_HEADER],
        )
    app.add_middleware(AccessLog)
