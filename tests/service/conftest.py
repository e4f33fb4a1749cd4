"""Service fixtures: the app built on a REAL index of the report (built once per session).

`report_index_dir` comes from tests/conftest.py (the index helper's session fixture); the
app is created on the loaded index so each variant (auth on, CORS, a scripted chat model)
reuses it instead of reloading the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from index.hybrid import HybridIndex
from service.app import create_app
from service.engine import open_index
from service.settings import Settings


@pytest.fixture(scope="session")
def service_settings(report_index_dir: Path) -> Settings:
    """Settings pointing at the session's real index (no API key, no CORS)."""
    return Settings(index_dir=report_index_dir)


@pytest.fixture(scope="session")
def report_index(service_settings: Settings) -> HybridIndex:
    """The real index, loaded once."""
    return open_index(service_settings)


@pytest.fixture(scope="session")
def make_client(
    service_settings: Settings, report_index: HybridIndex
) -> Iterator[Callable[..., TestClient]]:
    """Build a started TestClient for the app with settings overrides (closed at the end)."""
    opened: list[TestClient] = []

    def make(*, chat_model: Any = None, **overrides: Any) -> TestClient:
        settings = service_settings.model_copy(update=overrides)
        app: FastAPI = create_app(settings, index=report_index, chat_model=chat_model)
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def client(make_client: Callable[..., TestClient]) -> TestClient:
    """The default app: extractive, no API key, no CORS."""
    return make_client()
