"""API key on/off, CORS only when configured, and an access log without the question text."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from service.security import keys_match

QUESTION = {"question": "Welke taken had de Helidet in Mali?"}


def test_keys_are_compared_exactly() -> None:
    assert keys_match("s3cret", "s3cret")
    assert not keys_match("s3cre", "s3cret")
    assert not keys_match(None, "s3cret")
    assert keys_match("sleutel-é", "sleutel-é")


def test_without_a_configured_key_no_header_is_needed(client: TestClient) -> None:
    assert client.post("/api/ask", json=QUESTION).status_code == 200


def test_with_a_configured_key_api_calls_need_it(make_client: Callable[..., TestClient]) -> None:
    locked = make_client(api_key=SecretStr("s3cret"))
    assert locked.post("/api/ask", json=QUESTION).status_code == 401
    wrong = locked.post("/api/ask", json=QUESTION, headers={"X-API-Key": "guess"})
    assert wrong.status_code == 401
    assert "X-API-Key" in wrong.json()["detail"]
    assert locked.get("/api/sections").status_code == 401
    right = locked.post("/api/ask", json=QUESTION, headers={"X-API-Key": "s3cret"})
    assert right.status_code == 200
    assert locked.get("/health").status_code == 200  # liveness stays open


def test_cors_is_off_unless_configured(
    client: TestClient, make_client: Callable[..., TestClient]
) -> None:
    origin = {"Origin": "https://intranet.example"}
    assert "access-control-allow-origin" not in client.get("/health", headers=origin).headers
    open_to = make_client(cors_origins=["https://intranet.example"])
    allowed = open_to.options(
        "/api/ask",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    assert allowed.headers["access-control-allow-origin"] == "https://intranet.example"
    other = open_to.get("/health", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers


def test_access_log_leaves_out_the_question(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="minusma_qa"):
        client.post("/api/ask", json=QUESTION)
    access = [r.getMessage() for r in caplog.records if r.name == "minusma_qa.access"]
    assert any('"path": "/api/ask"' in line and '"status": 200' in line for line in access)
    assert all("Helidet" not in r.getMessage() for r in caplog.records)


def test_questions_are_logged_only_when_enabled(
    make_client: Callable[..., TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    logging_on = make_client(log_questions=True)
    with caplog.at_level(logging.INFO, logger="minusma_qa"):
        logging_on.post("/api/ask", json=QUESTION)
    assert any("Helidet" in r.getMessage() for r in caplog.records)
