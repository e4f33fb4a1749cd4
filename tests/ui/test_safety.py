"""Hostile text never executes; the API key prompt works; a stopped service is reported.

A small index is built from tests/ui/fixtures/hostile-report.txt, whose passages contain
`<img src=x onerror=...>` and `<script>...</script>`, and served with an API key switched on.
The page must show those strings (and a hostile question) literally, run none of them, ask
for the key once and send it, and say clearly when the service has gone away.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index.build import build_index
from ingest.pipeline import ingest_sources
from ingest.sentences import split_sentences
from service.settings import Settings
from tests.ui.harness import (
    CHROMIUM,
    NO_CHROMIUM,
    Server,
    Watched,
    copy_fixture,
    get_json,
    open_page,
    start_server,
)

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)]

API_KEY = "ui-test-key-7f3a"
HOSTILE_QUESTION = '<img src=x onerror="window.__pwned=1">'
HOSTILE_IMG = "<img src=x onerror=window.__pwned=1>"
HOSTILE_SCRIPT = "<script>window.__pwned=2</script>"


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real service on an index of the hostile fixture, with an API key required."""
    work = tmp_path_factory.mktemp("hostile")
    source = copy_fixture("hostile-report.txt", work)
    index_dir = work / "index"
    settings = Settings(sources=[source], index_dir=index_dir, cache_dir=work / "cache")
    passages = ingest_sources([source], config=settings.ingest_config())
    build_index(passages, index_dir, config=settings.index_config())
    server = start_server(
        index_dir,
        work,
        MINUSMA_API_KEY=API_KEY,
        MINUSMA_SOURCES=json.dumps([str(source)]),
        MINUSMA_CACHE_DIR=str(work / "cache"),
    )
    yield server
    server.stop()


def served_passages(server: Server) -> list[dict[str, Any]]:
    """Every passage of the served index, in table-of-contents order."""
    headers = {"X-API-Key": API_KEY}
    chapters = get_json(f"{server.base_url}/api/sections", headers=headers)["chapters"]
    ids = [pid for ch in chapters for section in ch["sections"] for pid in section["passage_ids"]]
    return [get_json(f"{server.base_url}/api/passages/{pid}", headers=headers) for pid in ids]


def assert_nothing_ran(watched: Watched) -> None:
    page = watched.page
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img").count() == 0, "report or user text became an <img> element"
    assert page.locator("script").count() == 1, "only the app's own module script exists"


def test_hostile_question_and_passages_are_shown_as_text(
    browser: Any, hostile_server: Server, artifacts_dir: Path
) -> None:
    passages = served_passages(hostile_server)
    texts = " ".join(p["text"] for p in passages)
    assert HOSTILE_IMG in texts and HOSTILE_SCRIPT in texts, "ingest kept the hostile strings"

    watched = open_page(browser, hostile_server.base_url)
    page = watched.page
    try:
        page.goto(f"{hostile_server.base_url}/")
        page.wait_for_selector(".service-status.ok")

        # the hostile question: the server wants a key; the page asks for it once
        page.fill("#chat-input", HOSTILE_QUESTION)
        page.press("#chat-input", "Enter")
        page.locator("#key-dialog[open]").wait_for()
        page.fill("#key-input", API_KEY)
        with page.expect_request(lambda r: r.url.endswith("/api/ask/stream")) as keyed:
            page.click("#key-dialog button[value=save]")
        assert keyed.value.headers.get("x-api-key") == API_KEY
        page.locator('.turn .answer[aria-busy="false"]').wait_for()
        assert page.locator(".turn .question-text").inner_text() == HOSTILE_QUESTION
        assert page.evaluate("sessionStorage.getItem('minusma-qa.api-key')") == API_KEY

        # every passage opened in the panel shows its text literally
        page.click("#nav-browse")
        links = page.locator("#browse-toc .toc .link-button")
        links.first.wait_for()
        shown = []
        for i in range(links.count()):
            links.nth(i).click()
            page.locator("#panel .passage-main").wait_for()
            shown.append(page.locator("#panel").inner_text())
        panel_text = "\n".join(shown)
        assert HOSTILE_IMG in panel_text
        assert HOSTILE_SCRIPT in panel_text

        # the claim check quotes the hostile sentence back as text
        hostile = next(p for p in passages if HOSTILE_IMG in p["text"])
        sentence = next(s for s in split_sentences(hostile["text"]) if HOSTILE_IMG in s)
        page.click("#nav-check")
        page.fill("#check-input", sentence)
        page.click("#check-submit")
        page.locator("#check-results .claim").first.wait_for()
        assert HOSTILE_IMG in page.locator("#check-results").inner_text()
        assert_nothing_ran(watched)
        page.screenshot(path=str(artifacts_dir / "safety-hostile-text.png"), full_page=True)

        # the service goes away: the page says so instead of hanging
        hostile_server.stop()
        page.click("#nav-chat")
        page.fill("#chat-input", "Is de dienst nog bereikbaar?")
        page.press("#chat-input", "Enter")
        alert = page.locator(".turn").nth(1).locator("[role=alert]")
        alert.wait_for()
        assert "Geen verbinding met de dienst" in alert.inner_text()
        page.locator(".service-status.down").wait_for()
        assert page.locator("#service-retry").is_visible()
        page.screenshot(path=str(artifacts_dir / "service-down.png"), full_page=True)
        assert_nothing_ran(watched)
        watched.assert_clean()
    finally:
        page.context.close()
