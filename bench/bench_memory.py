"""Resident memory of the running service, read from /proc/<pid>/status.

Starts the real service, reads VmRSS of every process of its tree when idle, then sends a
bounded burst of searches and answers and reads VmRSS and VmHWM (peak) again. With more
than one worker, uvicorn runs a supervisor plus one process per worker: each is listed and
the per-worker figure is the one the 600 MB target is about (every worker loads the model
and the index once). Target: RSS <= 600 MB.

    .venv/bin/python bench/bench_memory.py [--index-dir DIR] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from liveserver import live_server, memory_kib, process_tree, role  # noqa: E402
from workload import gold_questions, report_queries  # noqa: E402


@dataclass(frozen=True, slots=True)
class ProcessMemory:
    """One process of the service tree, in MiB."""

    pid: int
    role: str
    idle_rss_mib: float
    loaded_rss_mib: float
    peak_rss_mib: float


@dataclass(frozen=True, slots=True)
class MemoryResult:
    """The service's memory for one worker count."""

    workers: int
    requests: int
    processes: list[ProcessMemory]
    max_worker_rss_mib: float
    total_rss_mib: float


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


def _burst(base_url: str, index_dir: Path, *, searches: int, asks: int) -> int:
    sent = 0
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        for query in report_queries(index_dir, n=searches, seed=11):
            client.post("/api/search", json={"query": query, "top_k": 10}).raise_for_status()
            sent += 1
        for question in gold_questions()[:asks]:
            client.post("/api/ask", json={"question": question}).raise_for_status()
            sent += 1
    return sent


def measure(
    index_dir: Path, *, workers: list[int], searches: int = 300, asks: int = 60
) -> list[MemoryResult]:
    """Idle and after-burst memory of the service tree, per worker count."""
    results = []
    for count in workers:
        with live_server(index_dir, workers=count) as server:
            pids = process_tree(server.pid)
            roles = {pid: role(pid, root=server.pid, workers=count) for pid in pids}
            idle = {pid: memory_kib(pid) for pid in pids}
            sent = _burst(server.base_url, index_dir, searches=searches, asks=asks)
            loaded = {pid: memory_kib(pid) for pid in pids if Path(f"/proc/{pid}").exists()}
        processes = [
            ProcessMemory(
                pid=pid,
                role=roles[pid],
                idle_rss_mib=_mib(idle[pid]["VmRSS"]),
                loaded_rss_mib=_mib(loaded[pid]["VmRSS"]),
                peak_rss_mib=_mib(loaded[pid]["VmHWM"]),
            )
            for pid in pids
            if pid in loaded
        ]
        workers_only = [p for p in processes if p.role in ("server", "worker")]
        results.append(
            MemoryResult(
                workers=count,
                requests=sent,
                processes=processes,
                max_worker_rss_mib=max(p.peak_rss_mib for p in workers_only),
                total_rss_mib=round(sum(p.loaded_rss_mib for p in processes), 1),
            )
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--index-dir", type=Path, default=Path(os.environ.get("MINUSMA_INDEX_DIR", "var/index"))
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    results = measure(args.index_dir.resolve(), workers=args.workers)
    print(json.dumps([asdict(r) for r in results], indent=1))


if __name__ == "__main__":
    main()
