"""Throughput of POST /api/search over loopback with 8, 32 and 64 concurrent clients.

Starts the real service (`minusma-qa serve`) on a free 127.0.0.1 port, then for each
concurrency level runs that many clients for a fixed time (and at most a fixed number of
requests), each sending distinct queries cut from the report. Reports requests/s, latency
p50/p95 and errors. Bounded: every level stops after `--seconds` or `--max-requests`.

    .venv/bin/python bench/bench_load.py [--index-dir DIR] [--workers 1 2] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from liveserver import live_server  # noqa: E402
from workload import Latency, report_queries, summarise  # noqa: E402

LEVELS = (8, 32, 64)


@dataclass(frozen=True, slots=True)
class LoadResult:
    """One concurrency level against one server configuration."""

    workers: int
    clients: int
    seconds: float
    requests: int
    errors: int
    error_kinds: dict[str, int]
    per_second: float
    latency: Latency


async def _client(
    client: httpx.AsyncClient,
    queries: list[str],
    cursor: list[int],
    deadline: float,
    durations: list[float],
    errors: list[str],
) -> None:
    while time.perf_counter() < deadline and cursor[0] < len(queries):
        query = queries[cursor[0]]
        cursor[0] += 1  # one event loop: no lock needed between the coroutines
        start = time.perf_counter()
        try:
            response = await client.post("/api/search", json={"query": query, "top_k": 10})
            ok = response.status_code == 200 and "results" in response.json()
        except httpx.HTTPError as exc:
            ok = False
            errors.append(type(exc).__name__)
        else:
            if not ok:
                errors.append(f"HTTP {response.status_code}")
        if ok:
            durations.append(time.perf_counter() - start)


async def run_level(
    base_url: str, queries: list[str], *, clients: int, seconds: float, workers: int
) -> LoadResult:
    """`clients` concurrent clients for `seconds` (or until the queries run out)."""
    durations: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=limits) as client:
        await client.get("/health")
        start = time.perf_counter()
        deadline = start + seconds
        cursor = [0]
        await asyncio.gather(
            *(_client(client, queries, cursor, deadline, durations, errors) for _ in range(clients))
        )
        elapsed = time.perf_counter() - start
    return LoadResult(
        workers=workers,
        clients=clients,
        seconds=round(elapsed, 2),
        requests=len(durations),
        errors=len(errors),
        error_kinds=dict(Counter(errors)),
        per_second=round(len(durations) / elapsed, 1),
        latency=summarise(durations),
    )


def measure(
    index_dir: Path,
    *,
    workers: list[int],
    levels: tuple[int, ...] = LEVELS,
    seconds: float = 10.0,
    max_requests: int = 20_000,
) -> list[LoadResult]:
    """Every (workers, clients) combination; a fresh service per worker count."""
    queries = report_queries(index_dir, n=max_requests)
    results = []
    for count in workers:
        with live_server(index_dir, workers=count) as server:
            for offset, clients in enumerate(levels):
                # Each level gets its own slice, so no query repeats within a server's life.
                share = queries[offset :: len(levels)]
                results.append(
                    asyncio.run(
                        run_level(
                            server.base_url,
                            share,
                            clients=clients,
                            seconds=seconds,
                            workers=count,
                        )
                    )
                )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--index-dir", type=Path, default=Path(os.environ.get("MINUSMA_INDEX_DIR", "var/index"))
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=20_000)
    args = parser.parse_args()
    results = measure(
        args.index_dir.resolve(),
        workers=args.workers,
        seconds=args.seconds,
        max_requests=args.max_requests,
    )
    print(json.dumps([asdict(r) for r in results], indent=1))


if __name__ == "__main__":
    main()
