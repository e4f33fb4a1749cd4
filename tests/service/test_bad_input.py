"""Bad input gets a defined 4xx answer with a message, never a 500 or a trace."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from service.schemas import MAX_TEXT_CHARS


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"question": ""}, "empty"),
        ({"question": "   \n\t "}, "empty"),
        ({"question": "x" * 2001}, "longer than 2000"),
        ({"question": "x" * (MAX_TEXT_CHARS + 1)}, "at most"),
        ({"question": "Wat deed ASIFU?", "top_k": 0}, "greater than or equal to 1"),
        ({"question": "Wat deed ASIFU?", "top_k": 51}, "less than or equal to 50"),
        ({"question": "Wat deed ASIFU?", "top_k": "veel"}, "integer"),
        ({"question": "Wat deed ASIFU?", "top_k": True}, "integer"),  # not read as 1
        ({"question": "Wat deed ASIFU?", "top_k": "5"}, "integer"),
        ({"question": 42}, "string"),
        ({"question": ["a", "b"]}, "string"),
        ({"question": "Wat\x00 deed\x07 ASIFU?"}, "control characters"),
        ({"question": "Wat deed ASIFU?", "mode": "poetry"}, "extractive"),
        ({"question": "Wat deed ASIFU?", "history": [{"answer": "x"}]}, "question"),
        ({"question": "Wat deed ASIFU?", "colour": "blue"}, "Extra inputs"),
        ({}, "question"),
    ],
)
def test_invalid_ask_requests_are_422_with_a_message(
    client: TestClient, payload: dict[str, object], fragment: str
) -> None:
    response = client.post("/api/ask", json=payload)
    assert response.status_code == 422
    assert fragment in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/api/search", {"query": " "}),
        ("/api/search", {"query": "Gao", "top_k": 100}),
        ("/api/cite", {"claim": ""}),
        ("/api/cite", {"claim": "x" * 2001}),
        ("/api/cite", {"claim": "Gao", "top_k": -1}),
        ("/api/cite/batch", {"text": "\u0001"}),
        ("/api/cite/batch", {"text": ". " * 30 + "Zin. " * 60}),
    ],
)
def test_invalid_lookup_requests_are_422(
    client: TestClient, path: str, payload: dict[str, object]
) -> None:
    response = client.post(path, json=payload)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_the_question_is_not_echoed_in_errors(client: TestClient) -> None:
    secret = "geheime vraag " * 200
    response = client.post("/api/ask", json={"question": secret})
    assert response.status_code == 422
    assert "geheime" not in response.text


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"question": "Wat deed ASIFU?"',
        b'{"question": "Wat deed \xff\xfe ASIFU?"}',
        b"\xff\xfe\x00\x00",
        b"",
        b"[]",
        b"null",
        b'"a question"',
    ],
)
def test_malformed_bodies_are_4xx(client: TestClient, body: bytes) -> None:
    response = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert "Traceback" not in response.text


def test_wrong_content_type_is_4xx(client: TestClient) -> None:
    response = client.post(
        "/api/ask", content=b"question=Wat", headers={"Content-Type": "text/plain"}
    )
    assert 400 <= response.status_code < 500


def test_a_huge_body_is_413(make_client: Callable[..., TestClient]) -> None:
    small = make_client(max_body_bytes=4096)
    big = {"question": "Wat deed ASIFU?", "history": [{"question": "x" * 5000}]}
    response = small.post("/api/ask", json=big)
    assert response.status_code == 413
    assert "larger than 4096 bytes" in response.json()["detail"]


def test_a_huge_chunked_body_is_413(make_client: Callable[..., TestClient]) -> None:
    small = make_client(max_body_bytes=4096)

    def chunks():  # no Content-Length: the limit must count the bytes themselves
        yield b'{"question": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    response = small.post(
        "/api/ask", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_unknown_routes_and_methods_are_4xx(client: TestClient) -> None:
    # with the web chat mounted at "/", unmatched methods may be 404 instead of 405
    for response in (client.get("/api/nope"), client.get("/api/ask"), client.delete("/api/cite")):
        assert response.status_code in (404, 405)
