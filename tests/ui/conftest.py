"""Browser-test fixtures: the live server on the real index, Chromium, a loaded chat page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.harness import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    Watched,
    open_page,
    start_server,
)


@pytest.fixture(scope="session")
def live_server(
    report_index_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The real service on the real report index."""
    server = start_server(report_index_dir, tmp_path_factory.mktemp("ui-server"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is missing: `pip install -e .[dev]`"
    )
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where screenshots go (kept after the run for people to look at)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def chat(browser: Any, live_server: Server) -> Iterator[Watched]:
    """The web chat on the real service, loaded and connected."""
    watched = open_page(browser, live_server.base_url)
    watched.page.goto(f"{live_server.base_url}/")
    watched.page.wait_for_selector(".service-status.ok")
    yield watched
    watched.page.context.close()
