"""Search and ask latency, p50/p95, in process and over HTTP (one client, loopback).

- in process: the engine the service builds (`service.engine.build_engine`), calling
  `index.search(query, k=10)` and `answerer.answer(question)` directly: with the served
  query encoder (onnx by default) and with torch on one thread beside it; in torch mode,
  with torch's default thread count and with one thread (on a busy machine the default's
  spinning OpenMP threads cost far more than they give);
- over HTTP: the real service (`minusma-qa serve`, one worker) with one keep-alive client
  sending POST /api/search and POST /api/ask one after another.
Searches use distinct word windows of the report and asks use the gold questions, each
sent once per process, so the query-vector cache never answers for the model.

    .venv/bin/python bench/bench_latency.py [--index-dir DIR] [--searches 200]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from liveserver import live_server  # noqa: E402
from workload import Latency, gold_questions, report_queries, summarise  # noqa: E402

from service.engine import build_engine  # noqa: E402
from service.settings import Settings  # noqa: E402


@dataclass(frozen=True, slots=True)
class LatencyResult:
    """One operation measured one way."""

    operation: str  # search | ask
    where: str  # in process | HTTP
    latency: Latency


def _series(call: Callable[[str], object], texts: list[str]) -> Latency:
    durations = []
    for text in texts:
        start = time.perf_counter()
        call(text)
        durations.append(time.perf_counter() - start)
    return summarise(durations)


def in_process(
    index_dir: Path,
    searches: list[str],
    asks: list[str],
    *,
    encoder: Literal["onnx", "onnx-int8", "torch"],
    torch_threads: int | None = None,
) -> list[LatencyResult]:
    """Latency of the engine's calls with one query encoder, model loaded beforehand.

    torch: `torch_threads=None` keeps torch's default (one intra-op thread per core); 1 is
    what a caller on a shared or multi-worker machine should set. onnx runs one thread and
    never imports torch. A fresh engine per setting, so the query-vector cache starts empty.
    """
    if encoder != "torch":
        where = f"in process, {encoder}"
        return _engine_series(index_dir, searches, asks, encoder=encoder, where=where)
    import torch

    default = torch.get_num_threads()
    torch.set_num_threads(torch_threads or default)
    where = f"in process, torch threads {torch_threads or default}"
    try:
        return _engine_series(index_dir, searches, asks, encoder=encoder, where=where)
    finally:
        torch.set_num_threads(default)


def _engine_series(
    index_dir: Path,
    searches: list[str],
    asks: list[str],
    *,
    encoder: Literal["onnx", "onnx-int8", "torch"],
    where: str,
) -> list[LatencyResult]:
    engine = build_engine(Settings(index_dir=index_dir, query_encoder=encoder))
    engine.index.embed_query("warm-up before timing")
    return [
        LatencyResult("search", where, _series(lambda q: engine.index.search(q), searches)),
        LatencyResult("ask", where, _series(engine.answerer.answer, asks)),
    ]


def over_http(index_dir: Path, searches: list[str], asks: list[str]) -> list[LatencyResult]:
    """Latency seen by one HTTP client of the real service."""
    with (
        live_server(index_dir, workers=1) as server,
        httpx.Client(base_url=server.base_url, timeout=60.0) as client,
    ):

        def search(query: str) -> None:
            client.post("/api/search", json={"query": query, "top_k": 10}).raise_for_status()

        def ask(question: str) -> None:
            client.post("/api/ask", json={"question": question}).raise_for_status()

        client.post("/api/search", json={"query": "warm-up before timing"}).raise_for_status()
        return [
            LatencyResult("search", "HTTP", _series(search, searches)),
            LatencyResult("ask", "HTTP", _series(ask, asks)),
        ]


def measure(index_dir: Path, *, n_searches: int = 200) -> list[LatencyResult]:
    """In-process and HTTP latency of search and ask."""
    searches = report_queries(index_dir, n=n_searches, seed=5)
    asks = gold_questions()
    served = Settings().query_encoder
    if served != "torch":  # the served encoder, and torch beside it
        local = in_process(index_dir, searches, asks, encoder=served) + in_process(
            index_dir, searches, asks, encoder="torch", torch_threads=1
        )
    else:
        local = in_process(index_dir, searches, asks, encoder="torch") + in_process(
            index_dir, searches, asks, encoder="torch", torch_threads=1
        )
    return local + over_http(index_dir, searches, asks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--index-dir", type=Path, default=Path(os.environ.get("MINUSMA_INDEX_DIR", "var/index"))
    )
    parser.add_argument("--searches", type=int, default=200)
    args = parser.parse_args()
    results = measure(args.index_dir.resolve(), n_searches=args.searches)
    print(json.dumps([asdict(r) for r in results], indent=1))


if __name__ == "__main__":
    main()
