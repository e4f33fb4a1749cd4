"""Scale: a synthetic corpus of ~1x, 10x and 100x the report, flat vs HNSW FAISS.

The synthetic corpus is made of perturbed copies of the report's passages, each copy a
separate document (its own passage ids and source name): every word is kept, dropped,
replaced by a word from another passage or given a typo at seeded random rates.

What is real and what is reduced, so the numbers say what they measure:
- BM25 is real: the project's Dutch analyzer (vocabulary built from the synthetic texts,
  compound splitting, stemming) and its character n-grams, bm25s over every synthetic
  passage for both fields.
- FAISS is real (flat and HNSW, the project's `DenseIndex` with its parameters), but the
  synthetic passage VECTORS are not model embeddings: each is the original passage's real
  vector plus Gaussian noise, renormalised (embedding 100x the report with the model on
  2 shared cores would take far longer than this bench's budget). Queries ARE embedded
  with the real model, and search goes through the project's `HybridIndex`, so query
  latency includes the model call, BM25 scoring, FAISS and the fusion.
- HNSW recall@10 is measured against the exact (flat) result on the same vectors. The
  copies of one passage are near-duplicates of each other, so exact top-10 lists are full
  of near-ties: this recall is a lower bound for a corpus of really different documents.
- torch runs with one thread (as a service worker should on a small shared machine; see
  bench_latency.py for the default-threads figure), so the query model call does not
  drown the growth this bench is about.

    .venv/bin/python bench/bench_scale.py [--index-dir DIR] [--factors 1 10 100] [--queries 100]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from workload import Latency, report_queries, summarise  # noqa: E402

from index.analysis import DutchAnalyzer, build_vocabulary, char_ngrams  # noqa: E402
from index.analysis import bm25_text as indexed_text  # noqa: E402  (the build's own text rule)
from index.dense import DenseIndex  # noqa: E402
from index.embed import Embedder  # noqa: E402
from index.hybrid import HybridIndex  # noqa: E402
from index.load import load_index  # noqa: E402
from index.sparse import SparseIndex  # noqa: E402
from ingest.models import Passage  # noqa: E402
from service.settings import Settings  # noqa: E402

NOISE_SIGMA = 0.02  # per-dimension; on 384-dim unit vectors this keeps cosine to the original ~0.9
P_DROP, P_REPLACE, P_TYPO = 0.05, 0.10, 0.02


@dataclass(frozen=True, slots=True)
class SearchTiming:
    """Query latency of one FAISS type and search mode at one corpus size."""

    faiss: str
    mode: str
    latency: Latency


@dataclass(frozen=True, slots=True)
class ScaleResult:
    """Build times and query latencies at one corpus size."""

    factor: int
    passages: int
    analyse_s: float
    bm25_build_s: float  # both BM25 fields: analysed words and character n-grams
    flat_build_s: float
    hnsw_build_s: float
    hnsw_recall_at_10: float
    searches: list[SearchTiming]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def perturb(text: str, pool: list[str], rng: random.Random) -> str:
    """A seeded variant of `text`: words dropped, replaced from `pool`, or misspelt."""
    out = []
    for word in text.split():
        roll = rng.random()
        if roll < P_DROP:
            continue
        if roll < P_DROP + P_REPLACE:
            out.append(rng.choice(pool))
        elif roll < P_DROP + P_REPLACE + P_TYPO:
            out.append(_typo(word, rng))
        else:
            out.append(word)
    return " ".join(out) or text


def synthetic_corpus(
    passages: list[Passage], vectors: np.ndarray, *, factor: int, seed: int = 3
) -> tuple[list[Passage], np.ndarray]:
    """The originals plus `factor - 1` perturbed copies of each, as separate documents."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    pool = [w for p in passages for w in p.text.split()]
    out_passages = list(passages)
    out_vectors = [vectors]
    for copy in range(1, factor):
        for passage in passages:
            out_passages.append(
                dataclasses.replace(
                    passage,
                    passage_id=f"{passage.passage_id}~copy{copy}",
                    text=perturb(passage.text, pool, rng),
                    source=f"synthetic-copy-{copy}.txt",
                )
            )
        noisy = vectors + noise.normal(0.0, NOISE_SIGMA, size=vectors.shape).astype(np.float32)
        out_vectors.append(noisy / np.linalg.norm(noisy, axis=1, keepdims=True))
    return out_passages, np.concatenate(out_vectors).astype(np.float32)


def _timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start


def _recall(flat: DenseIndex, hnsw: DenseIndex, queries: np.ndarray) -> float:
    _, exact = flat.search(queries, k=10)
    _, approx = hnsw.search(queries, k=10)
    found = [len(set(e) & set(a)) / len(e) for e, a in zip(exact, approx, strict=True)]
    return round(float(np.mean(found)), 3)


def _interleaved(
    indexes: dict[tuple[str, str], HybridIndex], queries: list[str]
) -> list[SearchTiming]:
    """Time every (FAISS type, mode) on each query in turn, so a busy moment of the
    machine hits all variants alike instead of whichever block ran then."""
    durations: dict[tuple[str, str], list[float]] = {key: [] for key in indexes}
    for n, query in enumerate(queries):
        keys = list(indexes)
        for key in keys[n % len(keys) :] + keys[: n % len(keys)]:
            start = time.perf_counter()
            indexes[key].search(query, k=10, mode=key[1])  # type: ignore[arg-type]
            durations[key].append(time.perf_counter() - start)
    return [SearchTiming(kind, mode, summarise(d)) for (kind, mode), d in durations.items()]


def measure_factor(
    base: HybridIndex,
    vectors: np.ndarray,
    embedder_args: dict[str, object],
    *,
    factor: int,
    queries: list[str],
) -> ScaleResult:
    """Build BM25, flat and HNSW over the synthetic corpus; time the searches on both."""
    passages, synthetic = synthetic_corpus(base.passages, vectors, factor=factor)
    analysed, analyse_s = _timed(_analyse, passages)
    vocabulary, documents, char_documents = analysed
    sparse, words_s = _timed(SparseIndex.build, documents)
    chars, chars_s = _timed(SparseIndex.build, char_documents)
    flat, flat_s = _timed(DenseIndex.build, synthetic, kind="flat")
    hnsw, hnsw_s = _timed(DenseIndex.build, synthetic, kind="hnsw")

    def fresh(kind: str, dense: DenseIndex) -> HybridIndex:
        # A new index per measurement: its query-vector cache starts empty, so every timed
        # search includes the model call for the query.
        return HybridIndex(
            manifest=dataclasses.replace(base.manifest, faiss_index_type=kind),
            passages=passages,
            dense=dense,
            sparse=sparse,
            sentences=[],
            sentence_vectors=np.zeros((0, synthetic.shape[1]), dtype=np.float32),
            vocabulary=vocabulary,
            glossary=base.glossary(),
            embedder=Embedder(**embedder_args),  # type: ignore[arg-type]
            chars=chars,
        )

    indexes = {
        (kind, mode): fresh(kind, dense)
        for kind, dense in (("flat", flat), ("hnsw", hnsw))
        for mode in ("hybrid", "dense")
    }
    searches = _interleaved(indexes, queries)
    recall = _recall(flat, hnsw, fresh("flat", flat).embed_queries(queries))
    return ScaleResult(
        factor=factor,
        passages=len(passages),
        analyse_s=round(analyse_s, 2),
        bm25_build_s=round(words_s + chars_s, 2),
        flat_build_s=round(flat_s, 3),
        hnsw_build_s=round(hnsw_s, 2),
        hnsw_recall_at_10=recall,
        searches=searches,
    )


def _analyse(passages: list[Passage]):  # type: ignore[no-untyped-def]
    vocabulary = build_vocabulary([p.text for p in passages] + [p.section_title for p in passages])
    analyzer = DutchAnalyzer(vocabulary)
    documents = [analyzer.analyze(indexed_text(p)) for p in passages]
    char_documents = [char_ngrams(indexed_text(p)) for p in passages]
    return vocabulary, documents, char_documents


def measure(index_dir: Path, *, factors: list[int], n_queries: int = 100) -> list[ScaleResult]:
    """One ScaleResult per corpus factor."""
    import torch

    torch.set_num_threads(1)  # see the module docstring
    settings = Settings(index_dir=index_dir)
    config = settings.index_config()
    base = load_index(index_dir, config=config)
    embedder_args: dict[str, object] = {
        "model": config.model,
        "model_label": config.model_label,
        "query_prefix": config.query_prefix,
        "passage_prefix": config.passage_prefix,
    }
    base.embed_query("warm-up: load the model once before timing")
    vectors = DenseIndex.load(index_dir / "passages.faiss").vectors()
    queries = report_queries(index_dir, n=n_queries, seed=23)
    return [
        measure_factor(base, vectors, embedder_args, factor=factor, queries=queries)
        for factor in factors
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--index-dir", type=Path, default=Path(os.environ.get("MINUSMA_INDEX_DIR", "var/index"))
    )
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    results = measure(args.index_dir.resolve(), factors=args.factors, n_queries=args.queries)
    print(json.dumps([asdict(r) for r in results], indent=1))


if __name__ == "__main__":
    main()
