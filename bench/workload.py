"""Request workloads for the benches: distinct queries cut from the report, and the gold questions.

Queries are random word windows of the indexed passages (seeded), so every request is a
different text: the index's query-embedding cache cannot flatter the numbers. Nothing here
loads the model; it only reads `passages.jsonl` of a built index.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD_QUESTIONS = ROOT / "eval" / "gold" / "questions.jsonl"


@dataclass(frozen=True, slots=True)
class Latency:
    """Latency summary of one measured series, in milliseconds."""

    n: int
    p50_ms: float
    p95_ms: float
    mean_ms: float


def summarise(seconds: list[float]) -> Latency:
    """p50/p95/mean of a series of durations given in seconds (nearest-rank percentiles)."""
    if not seconds:
        return Latency(0, math.nan, math.nan, math.nan)
    ordered = sorted(seconds)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)] * 1000

    return Latency(len(ordered), rank(0.50), rank(0.95), sum(ordered) / len(ordered) * 1000)


def passage_texts(index_dir: Path) -> list[tuple[str, str]]:
    """(passage_id, text) of every passage of a built index, in document order."""
    rows = []
    with (index_dir / "passages.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                data = json.loads(line)
                rows.append((str(data["passage_id"]), str(data["text"])))
    return rows


def report_queries(index_dir: Path, *, n: int, seed: int = 7) -> list[str]:
    """`n` distinct queries: windows of 3-9 words from random passages of the index."""
    passages = [text.split() for _, text in passage_texts(index_dir)]
    passages = [words for words in passages if len(words) >= 3]
    rng = random.Random(seed)
    queries: dict[str, None] = {}
    attempts = 0
    while len(queries) < n and attempts < n * 50:
        attempts += 1
        words = rng.choice(passages)
        size = rng.randint(3, min(9, len(words)))
        start = rng.randint(0, len(words) - size)
        queries[" ".join(words[start : start + size])] = None
    return list(queries)


def passage_ids(index_dir: Path) -> list[str]:
    """Every passage id of a built index."""
    return [pid for pid, _ in passage_texts(index_dir)]


def gold_questions() -> list[str]:
    """The questions of the project's gold set (all of them, answerable or not)."""
    with GOLD_QUESTIONS.open(encoding="utf-8") as handle:
        return [json.loads(line)["question"] for line in handle if line.strip()]
