"""Hostile requests over a raw socket to the service the entry point starts: 4xx, never 5xx.

Raw bytes are sent as written (no client library normalising the path or the body), so
path traversal, invalid UTF-8 and oversized or deeply nested bodies reach the server as an
attacker would send them.
"""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from tests.ops.conftest import RunningService

LEAKS = ("root:x:0:0", "Traceback", "class Settings", "BaseSettings")


def raw_request(
    service: RunningService, head: bytes, body: bytes = b"", *, timeout: float = 60.0
) -> tuple[int | None, bytes]:
    """Send bytes as-is; (status or None if the server closed without answering, response).

    For a large body the server gets a moment to answer on the headers alone (a size limit
    checked on Content-Length), before the body is sent.
    """
    with socket.create_connection((service.host, service.port), timeout=timeout) as sock:
        sock.sendall(head if head.endswith(b"\r\n\r\n") else head + b"\r\n\r\n")
        early = _read_response(sock, timeout=2.0) if len(body) > 1_000_000 else b""
        if early:
            return _status(early), early
        try:
            for start in range(0, len(body), 65536):
                sock.sendall(body[start : start + 65536])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while the body was still being sent
        data = _read_response(sock, timeout=timeout)
    return _status(data), data


def _read_response(sock: socket.socket, *, timeout: float) -> bytes:
    sock.settimeout(timeout)
    chunks: list[bytes] = []
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            if _complete(b"".join(chunks)):
                break
    except (ConnectionResetError, TimeoutError):
        pass
    return b"".join(chunks)


def _status(data: bytes) -> int | None:
    if not data.startswith(b"HTTP/1.1 "):
        return None
    return int(data.split(b" ", 2)[1])


def _complete(data: bytes) -> bool:
    if b"\r\n\r\n" not in data:
        return False
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return False


def get(service: RunningService, path: bytes) -> tuple[int | None, bytes]:
    host = f"{service.host}:{service.port}".encode()
    return raw_request(
        service, b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close"
    )


def post(
    service: RunningService, path: str, body: bytes, *, length: int | None = None
) -> tuple[int | None, bytes]:
    host = f"{service.host}:{service.port}".encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: ".encode()
        + host
        + b"\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
        + str(len(body) if length is None else length).encode()
    )
    return raw_request(service, head, body)


def assert_refused(status: int | None, data: bytes, *, closed_ok: bool = False) -> None:
    if status is None:
        assert closed_ok, f"no HTTP response: {data[:200]!r}"
        return
    assert 400 <= status < 500, f"status {status}: {data[:500]!r}"
    for leak in LEAKS:
        assert leak.encode() not in data


TRAVERSALS = [
    b"/api/passages/..%2F..%2Fetc%2Fpasswd",
    b"/api/passages/..%2f..%2f..%2f..%2fetc%2fpasswd",
    b"/api/passages/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    b"/api/passages/....//....//etc/passwd",
    b"/api/passages/../../../../etc/passwd",
    b"/api/passages/..%5c..%5cwindows%5cwin.ini",
    b"/api/passages/%00",
    b"/api/passages/%ff%fe%00",
    b"/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    b"/../../../../etc/passwd",
    b"/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    b"/..%2Fservice%2Fsettings.py",
    b"/..%2f..%2fservice/settings.py",
    b"/static/../../service/settings.py",
]


@pytest.mark.parametrize("path", TRAVERSALS, ids=[p.decode() for p in TRAVERSALS])
def test_path_traversal_is_refused(entrypoint_service: RunningService, path: bytes) -> None:
    status, data = get(entrypoint_service, path)
    assert_refused(status, data)


@pytest.mark.parametrize(
    "path",
    [b"/api/passages/\xff\xfe\xfd", b"/api/passages/a\x01b", b"/api/passages/" + b"x" * 100_000],
    ids=["invalid-utf8", "control-char", "100k-path"],
)
def test_malformed_request_lines_never_give_5xx(
    entrypoint_service: RunningService, path: bytes
) -> None:
    status, data = get(entrypoint_service, path)
    assert_refused(status, data, closed_ok=True)  # the HTTP parser may drop such a request


def _nested(depth: int) -> bytes:
    return b'{"question": ' + b"[" * depth + b"]" * depth + b"}"


HOSTILE_BODIES = {
    "invalid-utf8": b'{"question": "Wat deed \xff\xfe\xc3\x28 ASIFU?"}',
    "overlong-utf8": b'{"question": "\xc0\xaf\xe0\x80\xaf"}',
    "lone-surrogate": b'{"question": "\\ud800 Wat deed ASIFU?"}',
    "control-chars": json.dumps({"question": "Wat\u0000deed\u001bASIFU\u007f?"}).encode(),
    "bidi-and-zero-width": json.dumps({"question": "\u202eUFISA\u200b deed wat?"}).encode(),
    "very-long-question": json.dumps({"question": "waarom " * 20_000}).encode(),
    "deeply-nested": _nested(50_000),
    "nested-objects": b'{"question": "x", "history": '
    + b'{"a":' * 20_000
    + b"1"
    + b"}" * 20_000
    + b"}",
    "huge-int": b'{"question": "Wat deed ASIFU?", "top_k": 1' + b"0" * 10_000 + b"}",
    "nan": b'{"question": NaN}',
    "infinity-top-k": b'{"question": "Wat deed ASIFU?", "top_k": Infinity}',
    "duplicate-keys": b'{"question": "x", "question": ""}',
    "many-keys": json.dumps({f"k{i}": i for i in range(20_000)}).encode(),
    "truncated": b'{"question": "Wat deed',
    "bom": b'\xef\xbb\xbf{"question": "Wat deed ASIFU?"}',
}


@pytest.mark.parametrize("endpoint", ["/api/ask", "/api/ask/stream", "/api/search", "/api/cite"])
@pytest.mark.parametrize("case", sorted(HOSTILE_BODIES))
def test_hostile_bodies_never_give_5xx(
    entrypoint_service: RunningService, endpoint: str, case: str
) -> None:
    body = HOSTILE_BODIES[case]
    field = {"/api/search": b'"query"', "/api/cite": b'"claim"'}.get(endpoint)
    if field:
        body = body.replace(b'"question"', field)
    status, data = post(entrypoint_service, endpoint, body)
    assert status is not None, f"no response for {case}"
    # A harmless text (BOM, zero-width) may be answered; anything else must be refused.
    assert status < 500, f"{case}: status {status}: {data[:500]!r}"
    if status >= 400:
        assert_refused(status, data)


def test_huge_body_is_413_without_reading_it_all(entrypoint_service: RunningService) -> None:
    body = b'{"question": "' + b"x" * 20_000_000 + b'"}'
    status, data = post(entrypoint_service, "/api/ask", body)
    assert status == 413, data[:300]


def test_lying_content_length_is_refused(entrypoint_service: RunningService) -> None:
    body = b'{"question": "Wat deed ASIFU?"}'
    status, data = post(entrypoint_service, "/api/ask", body, length=10**12)
    assert_refused(status, data)


def test_service_still_healthy_after_the_hostile_requests(
    entrypoint_service: RunningService,
) -> None:
    response = httpx.get(f"{entrypoint_service.base_url}/health", timeout=10)
    assert response.status_code == 200
    assert response.json()["passages"] > 0
