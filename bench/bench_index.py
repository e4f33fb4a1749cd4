"""Index benchmark: build time cold/warm, search latency, size on disk, flat vs HNSW.

    .venv/bin/python bench/bench_index.py [--skip-build] [--index-dir DIR] [--ann-sizes N ...]

Cold = empty embedding cache in a fresh process (imports and model load included);
warm = the same sources again with the cache filled (nothing re-embedded, the model is
never loaded). Search latency is measured in process over the gold questions with the
query-embedding cache emptied before each query, so every search pays its one model call.
The FAISS part times exact (flat) against HNSW search on random unit vectors of the
model's dimension, with HNSW's recall@10 against the exact result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

GOLD = ROOT / "eval" / "gold" / "questions.jsonl"

_BUILD = """
import sys, time, json
t0 = time.perf_counter()
from pathlib import Path
from index.build import build_index
from ingest.pipeline import ingest_sources
from service.settings import Settings
settings = Settings(cache_dir=Path(sys.argv[2]))
config = settings.index_config()
t1 = time.perf_counter()
passages = ingest_sources(settings.sources, config=settings.ingest_config())
t2 = time.perf_counter()
manifest = build_index(passages, Path(sys.argv[1]), config=config)
t3 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "ingest": t2 - t1, "index": t3 - t2, "total": t3 - t0,
                  "counts": manifest.counts}))
"""


def timed_build(index_dir: Path, cache_dir: Path) -> dict[str, object]:
    """One `ingest + build_index` in a fresh Python process; its phase timings."""
    out = subprocess.run(
        [sys.executable, "-c", _BUILD, str(index_dir), str(cache_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def dir_size(path: Path) -> int:
    """Total bytes of the files under `path`."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def search_latency(index_dir: Path) -> dict[str, float]:
    """p50/p95 ms of hybrid search (query embedding included) and of bm25-only search."""
    from index.load import load_index
    from service.settings import Settings

    index = load_index(index_dir, config=Settings().index_config())
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line]
    questions = [r["question"] for r in rows]
    index.search("opwarmen van het model")  # load the model outside the timing
    timings: dict[str, list[float]] = {"hybrid": [], "bm25": [], "hybrid (cached vector)": []}
    for question in questions:
        index._query_cache.clear()
        started = time.perf_counter()
        index.search(question, k=10)
        timings["hybrid"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        index.search(question, k=10)
        timings["hybrid (cached vector)"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        index.search(question, k=10, mode="bm25")
        timings["bm25"].append((time.perf_counter() - started) * 1000)
    out: dict[str, float] = {}
    for name, values in timings.items():
        values.sort()
        out[f"{name} p50"] = statistics.median(values)
        out[f"{name} p95"] = values[int(0.95 * (len(values) - 1))]
    return out


def ann_crossover(sizes: list[int], *, dim: int = 384, queries: int = 200) -> list[str]:
    """Flat vs HNSW search time (ms/query) and HNSW recall@10, per corpus size."""
    from index.dense import DenseIndex

    rng = np.random.default_rng(0)
    lines = [
        "| vectors | flat ms/q | hnsw ms/q | hnsw build s | hnsw recall@10 |",
        "|---|---|---|---|---|",
    ]
    for size in sizes:
        base = rng.standard_normal((size, dim)).astype(np.float32)
        base /= np.linalg.norm(base, axis=1, keepdims=True)
        # queries near stored vectors, like real questions near their passages
        picks = base[rng.integers(0, size, queries)]
        q = picks + 0.5 * rng.standard_normal(picks.shape).astype(np.float32) / np.sqrt(dim)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        flat = DenseIndex.build(base, kind="flat")
        started = time.perf_counter()
        hnsw = DenseIndex.build(base, kind="hnsw")
        build_s = time.perf_counter() - started
        times = {}
        results = {}
        for name, index in (("flat", flat), ("hnsw", hnsw)):
            started = time.perf_counter()
            for row in q:  # one query at a time, as the service searches
                index.search(row[None, :], k=10)
            times[name] = (time.perf_counter() - started) * 1000 / queries
            results[name] = index.search(q, k=10)[1]
        recall = np.mean(
            [
                len(set(a) & set(b)) / 10
                for a, b in zip(results["flat"], results["hnsw"], strict=True)
            ]
        )
        lines.append(
            f"| {size} | {times['flat']:.3f} | {times['hnsw']:.3f} | {build_s:.1f} | {recall:.3f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true", help="only latency and ANN")
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("--ann-sizes", type=int, nargs="*", default=[1000, 10_000, 50_000])
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-index-"))
    index_dir = args.index_dir or work / "index"
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
    if not args.skip_build:
        cache = work / "cache"
        cold = timed_build(index_dir, cache)
        warm = timed_build(index_dir, cache)
        for name, result in (("cold", cold), ("warm", warm)):
            phases = ", ".join(f"{k} {v:.1f}s" for k, v in result.items() if k != "counts")
            print(f"build {name}: {phases}; counts {result['counts']}")
        print(f"index size on disk: {dir_size(index_dir) / 1e6:.2f} MB")
    for name, value in search_latency(index_dir).items():
        print(f"search {name}: {value:.1f} ms")
    print("\n".join(ann_crossover(args.ann_sizes)))
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
