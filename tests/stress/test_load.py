"""50 concurrent clients for 30 s against the real service on loopback: zero errors.

The clients mix the endpoints a browser session uses (ask, search, cite, a passage, health)
with distinct texts cut from the report, so caches do not hide the work. The run is bounded
in time (30 s of sending) and every request has a timeout. The client pool keeps httpx's
defaults (idle connections expire after 5 s); errors are never retried. STRESS_RUNS=N
repeats the run N times on the same index; STRESS_WORKERS sets the worker processes.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from cli.service import KEEP_ALIVE_S

pytestmark = pytest.mark.stress

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from liveserver import live_server  # noqa: E402
from workload import gold_questions, passage_ids, report_queries  # noqa: E402

CLIENTS = 50
SECONDS = 30.0


def _request(rng: random.Random, queries: list[str], questions: list[str], ids: list[str]):
    roll = rng.random()
    if roll < 0.35:
        return "POST", "/api/search", {"query": queries.pop(), "top_k": 10}
    if roll < 0.65:
        return "POST", "/api/ask", {"question": rng.choice(questions)}
    if roll < 0.85:
        return "POST", "/api/cite", {"claim": queries.pop()}
    if roll < 0.95:
        return "GET", f"/api/passages/{rng.choice(ids)}", None
    return "GET", "/health", None


async def _client(
    n: int,
    client: httpx.AsyncClient,
    deadline: float,
    work: tuple[list[str], list[str], list[str]],
    outcomes: Counter[str],
) -> None:
    rng = random.Random(n)
    while time.perf_counter() < deadline and len(work[0]) > 2:
        method, path, body = _request(rng, *work)
        try:
            response = await client.request(method, path, json=body)
            endpoint = path.split("/")[2] if path.startswith("/api") else "health"
            key = f"{endpoint} {response.status_code}"
        except httpx.HTTPError as exc:
            key = f"{path} {type(exc).__name__}"
        outcomes[key] += 1


async def _run(base_url: str, work: tuple[list[str], list[str], list[str]]) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base_url, timeout=120.0, limits=limits) as client:
        deadline = time.perf_counter() + SECONDS
        await asyncio.gather(
            *(_client(n, client, deadline, work, outcomes) for n in range(CLIENTS))
        )
    return outcomes


@pytest.mark.parametrize("run", range(int(os.environ.get("STRESS_RUNS", "1"))))
def test_50_clients_for_30_seconds_without_errors(report_index_dir: Path, run: int) -> None:
    """`run`: STRESS_RUNS repeats the whole test (a fresh server and new texts each time)."""
    workers = int(os.environ.get("STRESS_WORKERS", "1"))
    work = (
        report_queries(report_index_dir, n=20_000, seed=7 + run),
        gold_questions(),
        passage_ids(report_index_dir),
    )
    with live_server(report_index_dir, workers=workers, timeout_s=300) as server:
        started = time.perf_counter()
        outcomes = asyncio.run(_run(server.base_url, work))
        elapsed = time.perf_counter() - started
        health = httpx.get(f"{server.base_url}/health", timeout=30)
    total = sum(outcomes.values())
    errors = {k: v for k, v in outcomes.items() if not k.endswith(" 200")}
    print(
        f"run {run}: {total} requests in {elapsed:.1f}s ({total / elapsed:.1f}/s), "
        f"server keep-alive timeout {KEEP_ALIVE_S}s: {dict(outcomes)}"
    )
    assert total >= CLIENTS, "the clients barely ran"
    assert not errors, f"errors under load: {errors}"
    assert health.status_code == 200
