"""Service ready time: from launching `minusma-qa serve` to the first 200 from /health.

Runs the real console script against an already built index, `--repeat` times per worker
count, and reports each run and the median, plus how long the first search then takes
(whether "ready" really means ready: the model loaded). Target: <= 5 s with a built index.

    .venv/bin/python bench/bench_startup.py [--index-dir DIR] [--workers 1 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from liveserver import live_server  # noqa: E402
from workload import report_queries  # noqa: E402


@dataclass(frozen=True, slots=True)
class StartupResult:
    """Ready times of one worker count, in seconds."""

    workers: int
    runs_s: list[float]
    median_s: float
    first_search_ms: list[float]  # the first POST /api/search right after /health said ready


def measure(index_dir: Path, *, workers: list[int], repeat: int = 3) -> list[StartupResult]:
    """Start and stop the service `repeat` times per worker count."""
    results = []
    for count in workers:
        runs, first = [], []
        for n in range(repeat):
            with live_server(index_dir, workers=count) as server:
                runs.append(round(server.ready_s, 2))
                query = report_queries(index_dir, n=repeat, seed=31)[n]
                start = time.perf_counter()
                httpx.post(
                    f"{server.base_url}/api/search", json={"query": query}, timeout=120
                ).raise_for_status()
                first.append(round((time.perf_counter() - start) * 1000, 1))
        results.append(StartupResult(count, runs, round(statistics.median(runs), 2), first))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--index-dir", type=Path, default=Path(os.environ.get("MINUSMA_INDEX_DIR", "var/index"))
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = measure(args.index_dir.resolve(), workers=args.workers, repeat=args.repeat)
    print(json.dumps([asdict(r) for r in results], indent=1))


if __name__ == "__main__":
    main()
