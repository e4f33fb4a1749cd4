"""Ingest + index time, cold and warm, against LangChain's default recipe on the same report.

Every measurement runs in a fresh Python process, so imports and the model load count as a
user would see them:
- ours, cold: empty embedding cache (`ingest_sources` + `build_index`, files written);
- ours, warm: the same again with the cache the cold run filled (nothing is re-embedded);
- ours, warm, torch: the warm build with MINUSMA_QUERY_ENCODER=torch, i.e. without the ONNX
  export of the query encoder that the default (onnx) build writes: the export's cost;
- ours, cold, torch: a cold build with MINUSMA_QUERY_ENCODER=torch, which embeds the
  report with torch instead of the model's float ONNX export (the default embeds with
  onnxruntime on all cores: the difference is the runtime's, the vectors are the same);
- LangChain's default recipe (index/baseline.py: RecursiveCharacterTextSplitter 1000/200,
  the same model, langchain_community FAISS): the recipe has no embedding cache, so its
  "warm" run is simply a second run (it embeds everything again).

    .venv/bin/python bench/bench_build.py [--runs ours-cold ours-warm langchain-cold ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RUNS = (
    "ours-cold",
    "ours-warm",
    "ours-warm-torch",
    "ours-cold-torch",
    "langchain-cold",
    "langchain-warm",
)

_OURS = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from index.build import build_index
from ingest.pipeline import ingest_sources
from service.settings import Settings
settings = Settings(cache_dir=Path(sys.argv[2]), query_encoder=sys.argv[3])
config = settings.index_config()
t1 = time.perf_counter()
passages = ingest_sources(list(settings.sources), config=settings.ingest_config())
t2 = time.perf_counter()
manifest = build_index(passages, Path(sys.argv[1]), config=config)
t3 = time.perf_counter()
print(json.dumps({"imports_s": t1 - t0, "ingest_s": t2 - t1, "index_s": t3 - t2,
                  "total_s": t3 - t0, "units": len(passages),
                  "embedded": manifest.counts["embedded"], "query_encoder": sys.argv[3]}))
"""

_LANGCHAIN = """
import dataclasses, json, sys, time
t0 = time.perf_counter()
from index.baseline import LangChainBaseline
from service.settings import Settings
settings = Settings()
config = dataclasses.replace(settings.index_config(), cache_dir=None)  # the recipe has no cache
t1 = time.perf_counter()
baseline = LangChainBaseline(list(settings.sources), config=config)
t2 = time.perf_counter()
print(json.dumps({"imports_s": t1 - t0, "ingest_s": None, "index_s": t2 - t1,
                  "total_s": t2 - t0, "units": len(baseline.chunks),
                  "embedded": len(baseline.chunks), "query_encoder": "torch"}))
"""


@dataclass(frozen=True, slots=True)
class BuildResult:
    """One ingest + index run in a fresh process; seconds by phase."""

    recipe: str
    cache: str
    imports_s: float
    ingest_s: float | None
    index_s: float
    total_s: float
    units: int  # passages (ours) or chunks (LangChain)
    embedded: int  # texts sent to the model
    query_encoder: str  # "onnx": the build also wrote the ONNX export of the query encoder


def _run(script: str, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"},
        timeout=1800,
    )
    data: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return data


def _result(recipe: str, cache: str, data: dict[str, Any]) -> BuildResult:
    def rounded(key: str) -> float:
        return round(float(data[key]), 2)

    return BuildResult(
        recipe=recipe,
        cache=cache,
        imports_s=rounded("imports_s"),
        ingest_s=None if data["ingest_s"] is None else rounded("ingest_s"),
        index_s=rounded("index_s"),
        total_s=rounded("total_s"),
        units=int(data["units"]),
        embedded=int(data["embedded"]),
        query_encoder=str(data["query_encoder"]),
    )


def measure(runs: list[str]) -> list[BuildResult]:
    """The named runs, in order (a cold run of ours starts with an empty cache; a warm run
    reuses the cache of the cold run before it)."""
    work = Path(tempfile.mkdtemp(prefix="bench-build-"))
    results = []
    cache_dir = work / "cache-0"
    for number, run in enumerate(runs):
        recipe, cache, *encoder = run.split("-")
        if recipe == "ours":
            mode = encoder[0] if encoder else Settings().query_encoder
            if cache == "cold":
                cache_dir = work / f"cache-{number}"
            data = _run(_OURS, str(work / "index"), str(cache_dir), mode)
        else:
            data = _run(_LANGCHAIN)
        results.append(_result(recipe, cache, data))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs",
        nargs="+",
        default=list(RUNS),
        choices=RUNS,
    )
    args = parser.parse_args()
    print(json.dumps([asdict(r) for r in measure(args.runs)], indent=1))


if __name__ == "__main__":
    main()
