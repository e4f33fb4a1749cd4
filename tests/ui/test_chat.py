"""The web chat end to end in headless Chromium against the real service on the real index.

Covers: a streamed, cited answer; a citation opened in context with the quote marked; copying
the reference; a follow-up sent with the history; abstention; the claim check; browsing;
the language toggle; a 4xx message shown to the user. Every test also asserts that no
request left localhost and that no JavaScript error occurred, and saves screenshots to
test-artifacts/ui/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ingest.sentences import split_sentences
from service.schemas import EXAMPLE_QUESTION
from tests.ui.harness import CHROMIUM, NARROW, NO_CHROMIUM, Server, Watched, get_json

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)]

UNANSWERABLE = "Wat was het Nederlandse defensiebudget in 2030?"
FOLLOW_UP = "En waarom was dat zo?"
# A claim about something the report never discusses.
UNRELATED_CLAIM = "Pinguïns broeden hun eieren uit op Antarctica tijdens de poolwinter."


def sse_final(body: str) -> dict[str, Any]:
    """The JSON of the `final` event of a Server-Sent-Events body."""
    for block in body.replace("\r\n", "\n").split("\n\n"):
        lines = block.split("\n")
        if "event: final" in lines:
            data = "\n".join(line[len("data: ") :] for line in lines if line.startswith("data: "))
            return dict(json.loads(data))
    raise AssertionError(f"no final event in the stream: {body[:500]!r}")


def squash(text: str) -> str:
    """Whitespace-normalised text, for comparing what the page shows with the API's strings."""
    return " ".join(text.split())


def ask(watched: Watched, question: str) -> dict[str, Any]:
    """Type `question`, send it with Enter, wait for the rendered answer; return the final JSON."""
    page = watched.page
    turns_before = page.locator(".turn").count()
    page.fill("#chat-input", question)
    with page.expect_response(lambda r: r.url.endswith("/api/ask/stream")) as info:
        page.press("#chat-input", "Enter")
    response = info.value
    assert response.status == 200, response.text()
    final = sse_final(response.text())
    turn = page.locator(".turn").nth(turns_before)
    turn.locator('.answer[aria-busy="false"]').wait_for()
    return final


def screenshot(watched: Watched, artifacts: Path, name: str) -> None:
    watched.page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def test_ask_open_citation_copy_and_follow_up(chat: Watched, artifacts_dir: Path) -> None:
    page = chat.page
    # Shift+Enter adds a line and does not send
    page.fill("#chat-input", "regel een")
    page.press("#chat-input", "Shift+Enter")
    assert "\n" in page.input_value("#chat-input")
    assert page.locator(".turn").count() == 0

    first = ask(chat, EXAMPLE_QUESTION)
    assert first["grounded"], first["answer"]
    assert first["citations"], "a grounded answer carries citations"
    turn = page.locator(".turn").nth(0)
    assert squash(turn.locator(".question-text").inner_text()) == squash(EXAMPLE_QUESTION)
    assert squash(turn.locator(".answer-text").inner_text()) == squash(first["answer"])
    markers = turn.locator(".answer-text button.cite")
    numbers = {c["n"] for c in first["citations"]}
    cited = [int(n) for n in re.findall(r"\[(\d+)\]", first["answer"]) if int(n) in numbers]
    assert markers.count() == len(cited) >= 1

    # open [1] in context: section, page, neighbours, quote marked
    citation = first["citations"][0]
    turn.locator(f'.answer-text button.cite[data-n="{citation["n"]}"]').first.click()
    panel = page.locator("#panel")
    panel.locator(".passage-main").wait_for()
    assert panel.is_visible()
    heading = panel.locator(".panel-section").inner_text()
    assert f"§{citation['section']}" in heading
    if citation["page"]:
        assert f"pagina {citation['page']}" in panel.locator(".meta").inner_text()
    assert panel.locator(".passage-context").count() >= 1, "previous/next passage shown"
    marks = panel.locator(".passage-main mark")
    assert marks.count() == 1
    assert squash(marks.inner_text()) == squash(citation["quote"])
    assert page.evaluate("document.activeElement.id") == "panel-title", "focus moves to the panel"

    # copy the reference: clipboard holds the API's citation string, the page says so
    panel.locator("button.copy").click()
    panel.locator(".copy-status", has_text="Gekopieerd").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == citation["citation"]
    screenshot(chat, artifacts_dir, "chat-citation-desktop")

    # follow-up: the request carries the first exchange as history
    with page.expect_request(lambda r: r.url.endswith("/api/ask/stream")) as sent:
        second = ask(chat, FOLLOW_UP)
    body = sent.value.post_data_json
    assert body["question"] == FOLLOW_UP
    assert body["history"] == [{"question": EXAMPLE_QUESTION, "answer": first["answer"]}]
    assert page.locator(".turn").count() == 2
    second_turn = page.locator(".turn").nth(1)
    assert squash(second_turn.locator(".answer").inner_text()) != ""
    if second["grounded"]:
        assert second_turn.locator("button.cite").count() >= 1

    # narrow screen: the panel covers the page; Escape closes it and focus returns
    page.click("#panel-close")
    assert not panel.is_visible()
    page.set_viewport_size(NARROW)
    opener = second_turn.locator("button").first
    opener.click()
    panel.locator(".passage-main").wait_for()
    page.screenshot(path=str(artifacts_dir / "chat-citation-narrow.png"))
    page.keyboard.press("Escape")
    assert not panel.is_visible()
    assert opener.evaluate("node => node === document.activeElement"), "focus back on opener"
    screenshot(chat, artifacts_dir, "chat-narrow")

    # new conversation clears the log and the history
    page.click("#chat-new")
    assert page.locator(".turn").count() == 0
    with page.expect_request(lambda r: r.url.endswith("/api/ask/stream")) as fresh:
        ask(chat, EXAMPLE_QUESTION)
    assert fresh.value.post_data_json["history"] == []
    chat.assert_clean()


def test_abstention_says_so_and_shows_closest_passages(chat: Watched, artifacts_dir: Path) -> None:
    page = chat.page
    final = ask(chat, UNANSWERABLE)
    assert final["grounded"] is False
    assert final["citations"] == []
    answer = page.locator(".turn .answer").nth(0)
    assert (
        answer.locator(".abstain-text").inner_text() == "Het rapport geeft hier geen antwoord op."
    )
    assert squash(answer.locator(".answer-text").inner_text()) == squash(final["answer"])
    assert answer.locator("button.cite").count() == 0
    closest = answer.locator(".closest .passage-link")
    assert closest.count() == min(3, len(final["passages"])) >= 1
    closest.first.click()
    page.locator("#panel .passage-main").wait_for()
    shown = squash(page.locator("#panel .passage-main").inner_text())
    assert shown == squash(final["passages"][0]["text"])
    screenshot(chat, artifacts_dir, "chat-abstention-desktop")
    chat.assert_clean()


def test_claim_check_shows_verdicts_and_support(
    chat: Watched, live_server: Server, artifacts_dir: Path
) -> None:
    page = chat.page
    findings = get_json(f"{live_server.base_url}/api/findings")["findings"]
    verbatim = max(split_sentences(findings[0]["text"]), key=len)
    page.click("#nav-check")
    page.fill("#check-input", f"{verbatim} {UNRELATED_CLAIM}")
    with page.expect_response(lambda r: r.url.endswith("/api/cite/batch")) as info:
        page.click("#check-submit")
    results = info.value.json()["results"]
    page.locator("#check-results .claim").first.wait_for()
    claims = page.locator("#check-results .claim")
    assert claims.count() == len(results) >= 2
    assert results[0]["verdict"] == "supported"
    assert results[-1]["verdict"] == "not_found"

    supported = claims.nth(0)
    assert supported.locator(".badge").inner_text().endswith("Onderbouwd")
    best = results[0]["matches"][0]
    assert squash(supported.locator(".quote").inner_text()) == squash(best["quote"])
    assert supported.locator(".citation-text").inner_text() == best["citation"]

    missing = claims.nth(claims.count() - 1)
    assert missing.locator(".badge").inner_text().endswith("Niet gevonden")
    assert missing.locator(".notfound").inner_text() == "Niet gevonden in het rapport."

    supported.get_by_role("button", name="Open passage").click()
    page.locator("#panel .passage-main mark").wait_for()
    assert squash(page.locator("#panel .passage-main mark").inner_text()) == squash(best["quote"])
    screenshot(chat, artifacts_dir, "claim-check-desktop")
    chat.assert_clean()


def test_browse_contents_findings_and_glossary(chat: Watched, artifacts_dir: Path) -> None:
    page = chat.page
    page.click("#nav-browse")
    toc_links = page.locator("#browse-toc .toc .link-button")
    toc_links.first.wait_for()
    assert toc_links.count() > 10
    toc_links.nth(3).click()
    page.locator("#panel .passage-main").wait_for()
    assert page.locator("#panel .panel-section").inner_text().startswith("§")

    page.click("#browse-tab-findings")
    page.locator("#browse-findings .finding").first.wait_for()
    assert page.locator("#browse-findings .finding").count() >= 1
    page.locator("#browse-findings .finding button").first.click()
    page.locator("#panel .passage-main").wait_for()
    page.screenshot(path=str(artifacts_dir / "browse-findings-desktop.png"))

    page.click("#browse-tab-glossary")
    rows = page.locator("#browse-glossary tbody tr")
    rows.first.wait_for()
    total = rows.count()
    assert total >= 1
    acronym = rows.first.locator("button").inner_text()
    page.fill("#glossary-filter", acronym)
    assert 1 <= page.locator("#browse-glossary tbody tr:visible").count() <= total
    rows.first.locator("button").click()
    hits = page.locator("#panel .passage-link")
    hits.first.wait_for()
    hits.first.click()
    page.locator("#panel .passage-main").wait_for()
    chat.assert_clean()


def test_language_toggle_is_remembered(chat: Watched) -> None:
    page = chat.page
    assert page.get_attribute("html", "lang") == "nl"
    dutch = page.inner_text("#chat-heading")
    page.click("#lang-toggle")
    assert page.get_attribute("html", "lang") == "en"
    english = page.inner_text("#chat-heading")
    assert english != dutch
    page.reload()
    page.wait_for_selector(".service-status.ok")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#chat-heading") == english
    assert page.get_attribute("#chat-input", "placeholder")
    page.click("#lang-toggle")
    assert page.inner_text("#chat-heading") == dutch
    chat.assert_clean()


def test_rejected_question_shows_the_server_message(chat: Watched) -> None:
    page = chat.page
    page.fill("#chat-input", f"{EXAMPLE_QUESTION}\u0007")
    with page.expect_response(lambda r: r.url.endswith("/api/ask/stream")) as info:
        page.press("#chat-input", "Enter")
    assert info.value.status == 422
    detail = info.value.json()["detail"]
    message = detail if isinstance(detail, str) else detail[0]["msg"].removeprefix("Value error, ")
    alert = page.locator(".turn .answer [role=alert]")
    alert.wait_for()
    assert message in alert.inner_text()
    assert page.input_value("#chat-input").startswith(EXAMPLE_QUESTION), "question kept to edit"
    chat.assert_clean()


def test_sse_parser_and_quote_finder_in_the_browser(chat: Watched) -> None:
    """The page's own modules: SSE split at every byte boundary; quotes found across line breaks."""
    stream = (
        "event: delta\r\ndata: Een [1]\r\n\r\n"
        ": comment\nevent: delta\ndata:  twee\ndata: regels\n\n"
        'event: final\ndata: {"answer": "x"}\n\n'
    )
    result = chat.page.evaluate(
        """async (stream) => {
            const { SseParser } = await import("/js/sse.js");
            const { findQuote } = await import("/js/dom.js");
            const runs = [];
            for (let cut = 0; cut <= stream.length; cut++) {
                const parser = new SseParser();
                const events = [...parser.feed(stream.slice(0, cut)),
                                ...parser.feed(stream.slice(cut)), ...parser.end()];
                runs.push(JSON.stringify(events));
            }
            const text = "Eerste zin. De inzet was\\nvoor namelijk gericht op  inlichtingen. Slot.";
            return {
                runs: [...new Set(runs)],
                exact: findQuote(text, "Eerste zin."),
                spaced: findQuote(text, "De inzet was voor namelijk gericht op inlichtingen."),
                missing: findQuote(text, "Niet in de tekst."),
            };
        }""",
        stream,
    )
    expected = [
        {"event": "delta", "data": "Een [1]"},
        {"event": "delta", "data": " twee\nregels"},
        {"event": "final", "data": '{"answer": "x"}'},
    ]
    assert [json.loads(run) for run in result["runs"]] == [expected]
    assert result["exact"] == [0, len("Eerste zin.")]
    start, end = result["spaced"]
    assert (start, end) == (12, 12 + len("De inzet was\nvoor namelijk gericht op  inlichtingen."))
    assert result["missing"] is None
    chat.assert_clean()
