"""Generative mode with LangChain's scripted chat model at the LLM boundary (no LLM runs here)."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from index.hybrid import HybridIndex
from service.cite import is_verbatim
from service.generative import NOT_CONFIGURED, build_messages

QUESTION = "Welke rol speelde ASIFU bij de inlichtingen voor de militaire leiding?"
INVENTED = "Mali kocht in dat jaar zeventien onderzeeboten voor de woestijn"


def _scripted(*replies: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(r) for r in replies]))


def _first_passage_sentence(client: TestClient, index: HybridIndex) -> tuple[str, str]:
    """The passage the model will see as [1], and its longest sentence."""
    passages = client.post("/api/ask", json={"question": QUESTION}).json()["passages"]
    first = passages[0]["passage_id"]
    sentence = max(index.sentences(first), key=lambda s: len(s.text)).text
    return first, sentence


def test_supported_sentences_are_kept_and_invented_ones_removed(
    client: TestClient, make_client: Callable[..., TestClient], report_index: HybridIndex
) -> None:
    passage_id, sentence = _first_passage_sentence(client, report_index)
    reply = f"{sentence.rstrip('.')} [1]. {INVENTED} [2]. Dit is zonder bron."
    generative = make_client(chat_model=_scripted(reply))
    body = generative.post("/api/ask", json={"question": QUESTION, "mode": "generative"}).json()
    assert body["mode"] == "generative"
    assert body["grounded"] is True
    assert "onderzeeboten" not in body["answer"]
    assert re.search(r"\[1\]$", body["answer"])
    assert [c["passage_id"] for c in body["citations"]] == [passage_id]
    passage = report_index.passage(passage_id)
    assert passage is not None and is_verbatim(body["citations"][0]["quote"], passage.text)
    assert body["notice"] == "2 unsupported sentence(s) removed from the generated answer"


def test_prompt_carries_numbered_passages_and_demands_markers(
    report_index: HybridIndex,
) -> None:
    hits = report_index.search(QUESTION, k=3)
    messages = build_messages(QUESTION, hits, language="en", history=[("Vraag?", "Antwoord.")])
    system, last = str(messages[0].content), str(messages[-1].content)
    assert "marker" in system and "English" in system
    assert [str(m.content) for m in messages[1:3]] == ["Vraag?", "Antwoord."]
    assert "[1]" in last and "[3]" in last and "[4]" not in last
    assert last.endswith(f"Question: {QUESTION}")


def test_an_answer_without_supported_sentences_falls_back(
    make_client: Callable[..., TestClient],
) -> None:
    generative = make_client(chat_model=_scripted("Geen bruikbaar antwoord."))
    body = generative.post("/api/ask", json={"question": QUESTION, "mode": "generative"}).json()
    assert body["mode"] == "extractive" and body["grounded"] is True
    assert "no generated sentence was supported" in body["notice"]


def test_a_failing_endpoint_falls_back_to_extractive(
    make_client: Callable[..., TestClient],
) -> None:
    exhausted = make_client(chat_model=_scripted())  # raises on the first call
    body = exhausted.post("/api/ask", json={"question": QUESTION, "mode": "generative"}).json()
    assert body["mode"] == "extractive" and body["citations"]
    assert body["notice"].startswith("generative endpoint failed")


def test_not_configured_says_so(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": QUESTION, "mode": "generative"}).json()
    assert body["mode"] == "extractive" and body["citations"]
    assert body["notice"] == NOT_CONFIGURED


def test_off_topic_abstains_without_calling_the_model(
    make_client: Callable[..., TestClient],
) -> None:
    never_called = make_client(chat_model=_scripted())
    body = never_called.post(
        "/api/ask",
        json={"question": "Wat is het recept voor appeltaart met kaneel?", "mode": "generative"},
    ).json()
    assert body["grounded"] is False and body["notice"] is None
