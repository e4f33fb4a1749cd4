"""Side-by-side retrieval table on the gold questions, in one run on the same questions.

Rows: LangChain's default recipe (RecursiveCharacterTextSplitter 1000/200 + the same
embedder + FAISS), BM25 only, dense only, and the hybrid. Columns: recall@1/5/10 and
MRR@10, for all answerable questions, Dutch, Dutch paraphrases and English.
A retrieved unit is relevant when it contains a gold `evidence` string, or one of the
optional `also` strings (other passages that answer the question too), after normalisation
(eval/normalize.py). `--explore` adds fusion variants computed from the same signals;
`--cv` fits the Dutch fusion weights by grid search with 5-fold cross-validation and
prints the held-out (not the training) numbers and the weights fitted on all questions.

    .venv/bin/python bench/retrieval_table.py [--index-dir DIR] [--explore] [--cv] [--misses]
        [--gold FILE ...] [--ranks OUT.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from eval.normalize import normalize  # noqa: E402
from index import fusion  # noqa: E402
from index.baseline import LangChainBaseline  # noqa: E402
from index.build import build_index  # noqa: E402
from index.fusion import FUSION_WEIGHTS, Signals, fuse  # noqa: E402
from index.hybrid import HybridIndex  # noqa: E402
from index.load import load_index  # noqa: E402
from index.models import Explanation  # noqa: E402
from ingest.pipeline import ingest_sources  # noqa: E402
from service.settings import Settings  # noqa: E402

GOLD = ROOT / "eval" / "gold" / "questions.jsonl"
KS = (1, 5, 10)


@dataclass(frozen=True)
class Question:
    qid: str
    text: str
    lang: str
    kind: str
    evidence: tuple[str, ...]


def load_questions(path: Path) -> list[Question]:
    """The answerable gold questions (those with evidence); `also` counts as evidence."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [
        Question(r["id"], r["question"], r["lang"], r["kind"], (*r["evidence"], *r.get("also", ())))
        for r in rows
        if r.get("evidence") and r.get("kind") != "unanswerable"
    ]


def first_relevant(texts: Sequence[str], evidence: Sequence[str]) -> int | None:
    """1-based rank of the first text containing an evidence string, or None."""
    needles = [normalize(e) for e in evidence if normalize(e)]
    for rank, text in enumerate(texts, start=1):
        norm = normalize(text)
        if any(n in norm for n in needles):
            return rank
    return None


def metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    """recall@k and MRR@10 from first-relevant ranks."""
    n = max(len(ranks), 1)
    out = {f"R@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in KS}
    out["MRR@10"] = sum(1.0 / r for r in ranks if r is not None and r <= 10) / n
    return out


GROUPS: dict[str, Callable[[Question], bool]] = {
    "all": lambda q: True,
    "nl": lambda q: q.lang == "nl",
    "nl-para": lambda q: q.lang == "nl" and q.kind == "paraphrase",
    "en": lambda q: q.lang == "en",
}


def table(rows: dict[str, list[int | None]], questions: list[Question]) -> str:
    """Markdown table: one row per system, one column block per group."""
    counts = {g: sum(1 for q in questions if f(q)) for g, f in GROUPS.items()}
    head = ["system"] + [
        f"{g} (n={counts[g]}) {m}" for g in GROUPS for m in ("R@1", "R@5", "R@10", "MRR@10")
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, ranks in rows.items():
        cells = [name]
        for flt in GROUPS.values():
            sub = [r for q, r in zip(questions, ranks, strict=True) if flt(q)]
            m = metrics(sub)
            cells += [
                f"{m['R@1']:.2f}",
                f"{m['R@5']:.2f}",
                f"{m['R@10']:.2f}",
                f"{m['MRR@10']:.2f}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def index_ranks(index: HybridIndex, questions: list[Question], mode: str) -> list[int | None]:
    """First-relevant ranks, each question searched on its own as the service does: the
    int8 query encoder's vectors depend on the other texts of a batch (its activations are
    quantised per batch; cosine 0.995-0.997 to the same question embedded alone)."""
    hits = [index.search(q.text, k=10, mode=mode) for q in questions]  # type: ignore[arg-type]
    return [
        first_relevant([h.passage.text for h in hs], q.evidence)
        for q, hs in zip(questions, hits, strict=True)
    ]


def explore(index: HybridIndex, questions: list[Question]) -> dict[str, list[int | None]]:
    """Fusion variants over the same two signals, for choosing the fusion method."""
    signals = [index.signal_scores(q.text) for q in questions]
    texts = [p.text for p in index.passages]

    def run(fuse: Callable[[np.ndarray, np.ndarray], fusion.Ranked]) -> list[int | None]:
        out: list[int | None] = []
        for q, sig in zip(questions, signals, strict=True):
            if not sig.bm25.any():
                out.append(None)
                continue
            top = [i for i, _ in fuse(sig.bm25, sig.dense)[:10]]
            out.append(first_relevant([texts[i] for i in top], q.evidence))
        return out

    def top_ids(scores: np.ndarray, n: int) -> list[int]:
        return [int(i) for i in np.argsort(-scores, kind="stable")[:n]]

    def norm_sum(norm: Callable, w: float, n: int) -> Callable:
        def fuse(sparse: np.ndarray, dense: np.ndarray) -> fusion.Ranked:
            cand = set(top_ids(dense, n)) | {i for i in top_ids(sparse, n) if sparse[i] > 0}
            b = norm({i: float(sparse[i]) for i in cand})
            d = norm({i: float(dense[i]) for i in cand})
            return fusion.weighted_sum([b, d], [1 - w, w])

        return fuse

    def rrf(w: float, k: int) -> Callable:
        def fuse(sparse: np.ndarray, dense: np.ndarray) -> fusion.Ranked:
            return fusion.rrf([top_ids(sparse, 100), top_ids(dense, 100)], [1 - w, w], k=k)

        return fuse

    def rerank(n: int, w: float) -> Callable:
        def fuse(sparse: np.ndarray, dense: np.ndarray) -> fusion.Ranked:
            cand = [i for i in top_ids(sparse, n) if sparse[i] > 0]
            b = fusion.minmax({i: float(sparse[i]) for i in cand})
            d = fusion.minmax({i: float(dense[i]) for i in cand})
            return fusion.weighted_sum([b, d], [1 - w, w])

        return fuse

    variants: dict[str, list[int | None]] = {}
    for w in (0.5,):
        variants["rrf equal k=60"] = run(rrf(w, 60))
    for w in (0.2, 0.3):
        variants[f"rrf w_dense={w} k=60"] = run(rrf(w, 60))
    for w in (0.2, 0.3, 0.4, 0.5):
        variants[f"minmax w_dense={w} N=50"] = run(norm_sum(fusion.minmax, w, 50))
    for w in (0.2, 0.3, 0.4):
        variants[f"zscore w_dense={w} N=50"] = run(norm_sum(fusion.zscore, w, 50))
    for n, w in ((20, 0.3), (50, 0.3), (20, 0.5)):
        variants[f"dense rerank BM25 top{n} w={w}"] = run(rerank(n, w))
    return variants


# Weights tried (dense fixed at 1: weights are normalised, so only their ratios matter).
GRID = {
    "bm25": (0.0, 0.25, 0.5, 0.75, 1.0),
    "chars": (0.0, 0.2, 0.4),
    "sentence": (0.0, 0.25, 0.5, 1.0),
    "cue": (0.0, 0.3, 0.6),
}
FOLDS = 5


def fusion_ranks(
    signals: Sequence[Signals],
    questions: Sequence[Question],
    texts: Sequence[str],
    weights: dict[str, float],
) -> list[int | None]:
    """First-relevant rank per question under `weights`."""
    out: list[int | None] = []
    for q, sig in zip(questions, signals, strict=True):
        top = [i for i, _ in fuse(sig, weights)[:10]]
        out.append(first_relevant([texts[i] for i in top], q.evidence))
    return out


def _objective(ranks: Sequence[int | None]) -> float:
    m = metrics(ranks)
    return m["R@5"] + m["MRR@10"]


def fit_weights(
    signals: Sequence[Signals], questions: Sequence[Question], texts: Sequence[str]
) -> dict[str, float]:
    """The grid point with the best recall@5 + MRR@10 on these questions (first best wins,
    so ties go to the smaller weights)."""
    best: tuple[float, dict[str, float]] | None = None
    for values in itertools.product(*GRID.values()):
        weights = {"dense": 1.0, **dict(zip(GRID, values, strict=True))}
        score = _objective(fusion_ranks(signals, questions, texts, weights))
        if best is None or score > best[0]:
            best = score, weights
    assert best is not None
    return best[1]


def cross_validate(index: HybridIndex, questions: list[Question]) -> list[int | None]:
    """Held-out ranks: each fold's questions are ranked with the weights of their language
    fitted on the other folds' questions of that language."""
    signals = [index.signal_scores(q.text) for q in questions]
    texts = [p.text for p in index.passages]
    fold = [i % FOLDS for i in np.random.default_rng(0).permutation(len(questions))]
    ranks: list[int | None] = [None] * len(questions)
    for f in range(FOLDS):
        for lang in sorted({q.lang for q in questions}):
            train = [i for i, q in enumerate(questions) if fold[i] != f and q.lang == lang]
            test = [i for i, q in enumerate(questions) if fold[i] == f and q.lang == lang]
            if not test:
                continue
            weights = fit_weights([signals[i] for i in train], [questions[i] for i in train], texts)
            print(f"fold {f} {lang}: {weights}")
            held = fusion_ranks(
                [signals[i] for i in test], [questions[i] for i in test], texts, weights
            )
            for i, rank in zip(test, held, strict=True):
                ranks[i] = rank
    for lang in sorted({q.lang for q in questions}):
        own = [i for i, q in enumerate(questions) if q.lang == lang]
        full = fit_weights([signals[i] for i in own], [questions[i] for i in own], texts)
        print(f"fitted on all {lang} questions: {full}; shipped: {FUSION_WEIGHTS.get(lang)}")
    return ranks


def explain_miss(index: HybridIndex, question: Question) -> Explanation | None:
    """The explanation of the relevant passage the hybrid ranks best (lowest fused rank,
    then lowest BM25 rank), or None when the query has no searchable words."""
    relevant = [p.passage_id for p in index.passages if first_relevant([p.text], question.evidence)]
    found = [e for pid in relevant if (e := index.explain(question.text, pid)) is not None]
    if not found:
        return None
    return min(found, key=lambda e: (e.fused_rank or len(index.passages) + 1, e.bm25_rank))


def print_misses(
    index: HybridIndex, questions: Sequence[Question], ranks: Sequence[int | None]
) -> None:
    """One line per hybrid miss at 5 (its best relevant passage's rank under each signal
    and the query terms it shares), then the count of misses sharing no term with it."""
    no_overlap = 0
    misses = [(q, r) for q, r in zip(questions, ranks, strict=True) if r is None or r > 5]
    for q, r in misses:
        e = explain_miss(index, q)
        if e is None:
            print(f"miss {q.qid} ({q.lang}/{q.kind}) rank={r}: {q.text} [no searchable words]")
            continue
        no_overlap += not e.shared_terms
        print(
            f"miss {q.qid} ({q.lang}/{q.kind}) rank={r}: {q.text}\n"
            f"    best relevant {e.passage_id}: fused={e.fused_rank} bm25={e.bm25_rank} "
            f"chars={e.chars_rank} dense={e.dense_rank} shared={list(e.shared_terms)}"
        )
    print(f"{len(misses)} misses at 5; {no_overlap} share no query term with any relevant passage")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, default=None, help="reuse/build this index")
    parser.add_argument(
        "--gold", type=Path, action="append", help="question file(s); default the gold set"
    )
    parser.add_argument("--explore", action="store_true", help="also print fusion variants")
    parser.add_argument("--cv", action="store_true", help="cross-validate the fusion weights")
    parser.add_argument("--misses", action="store_true", help="list hybrid misses at 5")
    parser.add_argument("--no-baseline", action="store_true", help="skip the LangChain row")
    parser.add_argument(
        "--ranks", type=Path, default=None, help="write {row: {question id: rank}} as JSON"
    )
    args = parser.parse_args(argv)

    settings = Settings()
    config = settings.index_config()
    questions = [q for path in args.gold or [GOLD] for q in load_questions(path)]
    passages = ingest_sources(settings.sources, config=settings.ingest_config())
    index_dir = args.index_dir or Path(tempfile.mkdtemp(prefix="retrieval-table-")) / "index"
    if not (index_dir / "manifest.json").exists():
        started = time.perf_counter()
        build_index(passages, index_dir, config=config)
        print(f"built index in {time.perf_counter() - started:.1f}s -> {index_dir}")
    index = load_index(index_dir, config=config)
    unmatched = [
        q.qid for q in questions if first_relevant([p.text for p in passages], q.evidence) is None
    ]

    rows: dict[str, list[int | None]] = {}
    if not args.no_baseline:
        baseline = LangChainBaseline(settings.sources, config=config)
        rows["LangChain default (1000/200 + FAISS)"] = [
            first_relevant([d.page_content for d in baseline.search(q.text, k=10)], q.evidence)
            for q in questions
        ]
    rows["BM25 only"] = index_ranks(index, questions, "bm25")
    rows["dense only"] = index_ranks(index, questions, "dense")
    rows["hybrid"] = index_ranks(index, questions, "hybrid")
    if args.explore:
        rows.update(explore(index, questions))
    if args.cv:
        rows[f"hybrid, weights {FOLDS}-fold cross-validated"] = cross_validate(index, questions)
    print(table(rows, questions))
    print(f"\n{len(questions)} answerable questions; evidence found in no passage: {unmatched}")
    if args.ranks:
        dump = {
            name: {q.qid: r for q, r in zip(questions, ranks, strict=True)}
            for name, ranks in rows.items()
        }
        args.ranks.write_text(json.dumps(dump, indent=1), encoding="utf-8")
    if args.misses:
        print_misses(index, questions, rows["hybrid"])


if __name__ == "__main__":
    main()
