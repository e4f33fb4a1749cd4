"""The container entry point, run for real: first start builds the index, then serves."""

from __future__ import annotations

import json

import httpx

from tests.ops.conftest import RunningService


def test_first_start_builds_the_index_into_the_volume(entrypoint_service: RunningService) -> None:
    manifest = json.loads((entrypoint_service.index_dir / "manifest.json").read_text("utf-8"))
    assert manifest["counts"]["passages"] > 0
    # The volume's warm embedding cache served every text: the model was not needed to build.
    assert manifest["counts"]["embedded"] == 0


def test_health_reports_the_index_the_entrypoint_built(entrypoint_service: RunningService) -> None:
    manifest = json.loads((entrypoint_service.index_dir / "manifest.json").read_text("utf-8"))
    health = httpx.get(f"{entrypoint_service.base_url}/health", timeout=10).json()
    assert health["passages"] == manifest["counts"]["passages"]
    assert health["index_built_at"] == manifest["built_at"]


def test_the_served_index_answers(entrypoint_service: RunningService) -> None:
    passages = (entrypoint_service.index_dir / "passages.jsonl").read_text("utf-8").splitlines()
    first = json.loads(passages[len(passages) // 2])
    query = " ".join(first["text"].split()[:8])
    response = httpx.post(
        f"{entrypoint_service.base_url}/api/search", json={"query": query, "top_k": 5}, timeout=60
    )
    assert response.status_code == 200
    assert first["passage_id"] in [r["passage_id"] for r in response.json()["results"]]
