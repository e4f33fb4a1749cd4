"""Every endpoint of the API on the real index of the report."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from index.hybrid import HybridIndex
from ingest.models import PassageKind
from service.cite import REPORT_REFERENCE, is_verbatim, normalise

ASIFU_QUESTION = (
    "Waarom sloten de inlichtingenproducten van ASIFU maar beperkt aan op de behoeften van de "
    "militaire leiding?"
)
OFF_TOPIC_NL = "Wat is het recept voor appeltaart met kaneel en rozijnen?"
OFF_TOPIC_EN = "What is the best recipe for apple pie with cinnamon and raisins?"


def test_health_reports_the_index(client: TestClient, report_index: HybridIndex) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["passages"] == len(report_index.passages)
    assert body["embedding_model"] == report_index.manifest.embedding_model
    assert body["index_built_at"] == report_index.manifest.built_at


def test_ask_answers_with_verbatim_cited_sentences(
    client: TestClient, report_index: HybridIndex
) -> None:
    response = client.post("/api/ask", json={"question": ASIFU_QUESTION})
    assert response.status_code == 200
    body = response.json()
    assert body["grounded"] is True
    citations = body["citations"]
    assert 1 <= len(citations) <= 4
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])]
    assert markers == [c["n"] for c in citations] == list(range(1, len(citations) + 1))
    for citation in citations:
        passage = report_index.passage(citation["passage_id"])
        assert passage is not None
        assert is_verbatim(citation["quote"], passage.text)
        assert citation["citation"].startswith(REPORT_REFERENCE)
        assert citation["section"] == passage.section
    assert any("ASIFU" in c["quote"] for c in citations)
    assert body["passages"] and len(body["passages"]) <= 5
    assert set(body["timings_ms"]) >= {"retrieve", "answer", "total"}


def test_ask_abstains_on_a_year_the_report_does_not_cover(client: TestClient) -> None:
    body = client.post(
        "/api/ask", json={"question": "Wat was het Nederlandse defensiebudget in 2030?"}
    ).json()
    assert body["grounded"] is False and body["citations"] == []


def test_ask_abstains_off_topic_in_the_questions_language(client: TestClient) -> None:
    dutch = client.post("/api/ask", json={"question": OFF_TOPIC_NL}).json()
    english = client.post("/api/ask", json={"question": OFF_TOPIC_EN, "top_k": 3}).json()
    for body in (dutch, english):
        assert body["grounded"] is False
        assert body["citations"] == []
        assert body["passages"], "the closest passages are still listed"
    assert dutch["language"] == "nl" and "rapport" in dutch["answer"]
    assert english["language"] == "en" and "report" in english["answer"]
    assert len(english["passages"]) == 3


def test_follow_up_uses_the_previous_question(client: TestClient) -> None:
    alone = client.post("/api/ask", json={"question": "En waarom?"}).json()
    follow_up = client.post(
        "/api/ask",
        json={
            "question": "En waarom?",
            "history": [{"question": ASIFU_QUESTION, "answer": "..."}],
        },
    ).json()
    assert follow_up["grounded"] is True
    assert any("ASIFU" in p["text"] for p in follow_up["passages"])
    assert [p["passage_id"] for p in alone["passages"]] != [
        p["passage_id"] for p in follow_up["passages"]
    ]


def test_stream_sends_deltas_then_the_full_response(client: TestClient) -> None:
    with client.stream("POST", "/api/ask/stream", json={"question": ASIFU_QUESTION}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join(response.iter_text())
    events = _parse_sse(raw)
    names = [name for name, _ in events]
    assert names[-1] == "final" and names.count("final") == 1
    assert names[:-1] and set(names[:-1]) == {"delta"}
    final = json.loads(events[-1][1])
    assert "".join(data for name, data in events if name == "delta") == final["answer"]
    assert final["grounded"] is True and final["citations"]


def test_search_returns_ranked_passages(client: TestClient) -> None:
    body = client.post("/api/search", json={"query": "helikopters Gao", "top_k": 4}).json()
    results = body["results"]
    assert len(results) == 4
    assert set(results[0]) >= {
        "passage_id", "text", "section", "section_title", "page", "paragraph", "kind", "score"
    }  # fmt: skip
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


def test_cite_finds_a_reflowed_and_hyphenated_quote_exactly(
    client: TestClient, report_index: HybridIndex
) -> None:
    passage, sentence = _long_sentence(report_index)
    words = sentence.split()
    long_word = max(range(len(words)), key=lambda i: len(words[i]))
    half = len(words[long_word]) // 2
    words[long_word] = f"{words[long_word][:half]}- {words[long_word][half:]}"
    pasted = "\n".join(" ".join(words[i : i + 5]) for i in range(0, len(words), 5))
    body = client.post("/api/cite", json={"claim": pasted}).json()
    assert body["verdict"] == "supported"
    best = body["matches"][0]
    assert best["passage_id"] == passage.passage_id
    assert is_verbatim(best["quote"], passage.text)
    assert normalise(best["quote"]) == normalise(sentence)
    assert best["citation"].startswith(REPORT_REFERENCE)


def test_cite_rejects_an_unrelated_claim(client: TestClient) -> None:
    body = client.post("/api/cite", json={"claim": OFF_TOPIC_NL.rstrip("?") + "."}).json()
    assert body["verdict"] == "not_found"


def test_cite_batch_returns_one_result_per_claim(
    client: TestClient, report_index: HybridIndex
) -> None:
    _, sentence = _long_sentence(report_index)
    text = f"{sentence} {OFF_TOPIC_NL.rstrip('?')}."
    body = client.post("/api/cite/batch", json={"text": text}).json()
    assert [r["verdict"] for r in body["results"]] == ["supported", "not_found"]
    assert body["results"][0]["claim"] == sentence


def test_passage_has_neighbours(client: TestClient, report_index: HybridIndex) -> None:
    ids = [p.passage_id for p in report_index.passages]
    body = client.get(f"/api/passages/{ids[1]}").json()
    assert body["passage_id"] == ids[1]
    assert (body["prev_id"], body["next_id"]) == (ids[0], ids[2])
    assert client.get(f"/api/passages/{ids[0]}").json()["prev_id"] is None
    assert client.get(f"/api/passages/{ids[-1]}").json()["next_id"] is None


def test_unknown_and_traversal_passage_ids_are_404(client: TestClient) -> None:
    unknown = client.get("/api/passages/9.9.9-p99")
    assert unknown.status_code == 404
    assert "no passage with id '9.9.9-p99'" in unknown.json()["detail"]
    for path in (
        "/api/passages/..%2F..%2Fetc%2Fpasswd",
        "/api/passages/../../etc/passwd",
        "/api/passages/%00",
        "/api/passages/..",
        "/api/passages/a%2Fb",
    ):
        assert client.get(path).status_code == 404, path


def test_sections_list_every_passage_once(client: TestClient, report_index: HybridIndex) -> None:
    chapters = client.get("/api/sections").json()["chapters"]
    listed = [pid for ch in chapters for s in ch["sections"] for pid in s["passage_ids"]]
    order = {p.passage_id: i for i, p in enumerate(report_index.passages)}
    section_of = {p.passage_id: p.section for p in report_index.passages}
    assert sorted(listed) == sorted(order)  # every passage exactly once
    for chapter in chapters:
        for section in chapter["sections"]:
            ids = section["passage_ids"]
            assert ids == sorted(ids, key=order.__getitem__)  # reading order within a §
            assert {section_of[pid] for pid in ids} == {section["section"]}
    assert all(ch["title"] or ch["chapter"] for ch in chapters)


def test_findings_carry_recommendations(client: TestClient, report_index: HybridIndex) -> None:
    findings = client.get("/api/findings").json()["findings"]
    labels = {p.label for p in report_index.passages if p.kind is PassageKind.FINDING}
    assert {f["label"] for f in findings} == labels
    assert findings and any(f["recommendations"] for f in findings)
    for finding in findings:
        for pid in finding["passage_ids"]:
            passage = report_index.passage(pid)
            assert passage is not None and passage.label == finding["label"]


def test_glossary_lists_the_reports_acronyms(client: TestClient, report_index: HybridIndex) -> None:
    entries = client.get("/api/glossary").json()["entries"]
    assert {e["acronym"]: e["expansion"] for e in entries} == report_index.glossary()


def test_openapi_documents_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/ask" in schema["paths"] and "/api/cite/batch" in schema["paths"]
    assert schema["components"]["schemas"]["AskRequest"]["examples"]


def _long_sentence(index: HybridIndex) -> tuple:  # type: ignore[type-arg]
    """A long body sentence of the report (deterministic: the first one over 120 chars)."""
    for passage in index.passages:
        if passage.kind is not PassageKind.BODY:
            continue
        for sentence in index.sentences(passage.passage_id):
            if len(sentence.text) > 120 and sentence.text.count(" ") > 15:
                return passage, sentence.text
    raise AssertionError("the report has no long body sentence")


def _parse_sse(raw: str) -> list[tuple[str, str]]:
    events = []
    for block in raw.strip().split("\n\n"):
        lines = block.split("\n")
        name = next(line[7:] for line in lines if line.startswith("event: "))
        data = "\n".join(line[6:] for line in lines if line.startswith("data: "))
        events.append((name, data))
    return events
