"""/api/ask latency over HTTP: p50/p95 of distinct questions against a live `minusma-qa serve`.

The server is started as users start it (bench/liveserver.py) on a built index; each
question is asked once after a short warm-up, sequentially, over one keep-alive connection.
Questions are the gold set's plus distinct report word windows, so the query-embedding
cache cannot flatter the numbers.

    .venv/bin/python bench/bench_service.py [--index-dir var/index] [--n 200] [--url URL]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from liveserver import live_server  # noqa: E402
from workload import gold_questions, report_queries, summarise  # noqa: E402

WARM_UP = 5
TARGET_P50_MS = 30.0


def measure(base_url: str, questions: list[str]) -> dict[str, object]:
    """Ask each question once; return the latency summary and the server's own timings."""
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        for question in questions[:WARM_UP]:
            client.post("/api/ask", json={"question": f"{question} (opwarmen)"})
        seconds: list[float] = []
        server_ms: list[float] = []
        for question in questions:
            started = time.perf_counter()
            response = client.post("/api/ask", json={"question": question})
            seconds.append(time.perf_counter() - started)
            response.raise_for_status()
            server_ms.append(float(response.json()["timings_ms"]["total"]))
    latency = summarise(seconds)
    return {
        "endpoint": "/api/ask",
        "http": asdict(latency),
        "server_total_p50_ms": round(sorted(server_ms)[len(server_ms) // 2], 2),
        "target_p50_ms": TARGET_P50_MS,
        "meets_target": latency.p50_ms <= TARGET_P50_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, default=Path("var/index"))
    parser.add_argument("--n", type=int, default=200, help="questions to ask")
    parser.add_argument("--url", default=None, help="measure a running server instead")
    args = parser.parse_args()
    questions = gold_questions()
    questions += report_queries(args.index_dir, n=max(args.n - len(questions), 0))
    questions = questions[: args.n]
    if args.url:
        result = measure(args.url, questions)
    else:
        with live_server(args.index_dir) as server:
            result = measure(server.base_url, questions)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
