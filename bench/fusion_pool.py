"""Fusion weights refitted on a larger pool of tuning queries, judged held out (issue 12).

The pool: the answerable questions of the tuning files (questions.jsonl,
constraint_probe.jsonl, english_probe.jsonl, nearmiss_dev.jsonl) plus the briefing claims
of claims.jsonl and claims_dev.jsonl that name evidence, used as retrieval queries (/api/cite
searches with the claim text, so the same retriever serves them). A query is answered when
a passage among the first k holds one of its evidence (or `also`) strings. The frozen
probes are never read.

Each language gets its own weights. Candidates: the weights shipped before this refit
(BEFORE), each of them without one signal, and the coarse round GRID (dense 1); English
BM25 stays 0 unless MINUSMA_TRANSLATE_ENGLISH is on, as the loaded index does. The fit
picks, among the candidates whose R@5 + MRR@10 is within TOLERANCE_QUESTIONS questions of
the best on the training queries, the one with the fewest non-zero weights (then the best
score; then the smaller weights). Held out two ways: leave-one-source-file-out (fit on the
other files, the way fresh questions arrive) and random 5-fold over the pool. Compared
with BEFORE, the shipped FUSION_WEIGHTS and two robust baselines (equal-weight dense +
BM25 + best sentence, min-max; plain RRF k 60 over dense, BM25, n-grams and best sentence).
Cells: R@5 / MRR@10 / paraphrase R@5 (kind paraphrase or supported_paraphrase).

    python bench/fusion_pool.py [--tolerance QUESTIONS]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from fusion_study import Query, first_relevant_rank, scores_of, top_positions  # noqa: E402
from retrieval_table import FOLDS, Question, load_questions  # noqa: E402

from eval.normalize import normalize  # noqa: E402
from index.fusion import CANDIDATES, FUSION_WEIGHTS, without_untranslated_bm25  # noqa: E402
from index.hybrid import HybridIndex  # noqa: E402
from index.load import load_index  # noqa: E402
from service.settings import Settings  # noqa: E402

GOLD_DIR = ROOT / "eval" / "gold"
QUESTION_FILES = ("questions", "constraint_probe", "english_probe", "nearmiss_dev")
CLAIM_FILES = ("claims", "claims_dev")
NAMES = ("dense", "bm25", "chars", "sentence", "cue")
# Coarse and round: dense fixed at 1 (weights are normalised, only ratios matter).
GRID = {
    "bm25": (0.0, 0.25, 0.5, 1.0, 2.0),
    "chars": (0.0, 0.25, 0.5),
    "sentence": (0.0, 0.5, 1.0),
    "cue": (0.0, 0.25, 0.5),
}
TOLERANCE_QUESTIONS = 2.0
# The weights shipped before this refit (fitted on the gold questions alone): the refit's
# starting point (kept, or pruned by one signal, as candidates) and a comparison row.
BEFORE: dict[str, dict[str, float]] = {
    "nl": {"bm25": 0.5, "dense": 1.0, "chars": 0.4, "sentence": 0.5, "cue": 0.6},
    "en": {"bm25": 1.0, "dense": 1.0, "chars": 0.2, "sentence": 1.0, "cue": 0.3},
}


@dataclass(frozen=True)
class PoolQuery:
    """A pool query: its question record (kind, language, evidence) and its source file."""

    question: Question
    source: str


def load_claims(path: Path) -> list[Question]:
    """The claims that name evidence (supported, partial and contradicted ones alike: the
    passage that settles a claim is what /api/cite must find), as retrieval queries."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [
        Question(r["id"], r["claim"], r["lang"], r["kind"], tuple(r["evidence"]))
        for r in rows
        if r.get("evidence")
    ]


def load_pool(folder: Path = GOLD_DIR) -> list[PoolQuery]:
    """Every pool query, tagged with the stem of its file."""
    pool = [
        PoolQuery(q, name)
        for name in QUESTION_FILES
        for q in load_questions(folder / f"{name}.jsonl")
    ]
    pool += [
        PoolQuery(q, name) for name in CLAIM_FILES for q in load_claims(folder / f"{name}.jsonl")
    ]
    return pool


def collect(index: HybridIndex, pool: Sequence[PoolQuery]) -> list[Query]:
    """Every pool query's five signals (passage order) and relevant passages; each query is
    embedded on its own, as the service does."""
    normalised = [normalize(p.text) for p in index.passages]
    out = []
    for item in pool:
        q = item.question
        sig = index.signal_scores(q.text)
        cue = sig.cue if sig.cue is not None else np.zeros(len(normalised), np.float32)
        arrays = {
            "dense": sig.dense,
            "bm25": sig.bm25,
            "chars": sig.chars,
            "sentence": sig.sentence,
            "cue": cue,
        }
        needles = [normalize(e) for e in q.evidence if normalize(e)]
        relevant = np.array([any(n in t for n in needles) for t in normalised])
        out.append(Query(q, arrays, relevant, sig.cue is not None))
    return out


def grid_rows(start: dict[str, float], *, english_untranslated: bool) -> np.ndarray:
    """Rows of weights over NAMES: `start` (the weights being refitted), each of them without
    one signal (so the refit may keep or merely prune them), then dense 1 and every GRID
    point (English BM25 0 untranslated)."""
    axes = dict(GRID)
    if english_untranslated:
        axes["bm25"] = (0.0,)
    ablations = [{**start, name: 0.0} for name in NAMES[1:] if start.get(name, 0.0) > 0]
    rows = [tuple(w.get(n, 0.0) for n in NAMES) for w in (start, *ablations)]
    rows += [(1.0, *values) for values in itertools.product(*(axes[n] for n in NAMES[1:]))]
    return np.array(list(dict.fromkeys(rows)), dtype=np.float64)


def weight_row(weights: Mapping[str, float]) -> np.ndarray:
    """One grid row (1, len(NAMES)) from named weights (a missing signal weighs 0)."""
    return np.array([[weights.get(n, 0.0) for n in NAMES]], dtype=np.float64)


def rank_matrix(queries: Sequence[Query], rows: np.ndarray) -> np.ndarray:
    """(queries, rows) first-relevant ranks (0: not in the top 10) under min-max fusion."""
    out = np.zeros((len(queries), rows.shape[0]), dtype=np.int64)
    for qi, q in enumerate(queries):
        out[qi] = first_relevant_rank(q, list(NAMES), rows, norm="minmax", pool=CANDIDATES)
    return out


def rrf_rank(query: Query, names: Sequence[str], *, k: int = 60) -> int:
    """First-relevant rank (0 beyond 10) under equal-weight RRF over each signal's top
    CANDIDATES (lexical signals only where they score > 0)."""
    total: dict[int, float] = {}
    for name in names:
        scores = query.arrays[name]
        top = top_positions(scores, CANDIDATES)
        if name in ("bm25", "chars"):
            top = top[scores[top] > 0]
        for rank, i in enumerate(top, start=1):
            total[int(i)] = total.get(int(i), 0.0) + 1.0 / (k + rank)
    order = sorted(total, key=lambda i: (-total[i], i))[:10]
    hits = [r for r, i in enumerate(order, start=1) if query.relevant[i]]
    return hits[0] if hits else 0


def objective(ranks: np.ndarray) -> np.ndarray:
    """R@5 + MRR@10 per column of a (queries, rows) rank matrix."""
    r5 = ((ranks > 0) & (ranks <= 5)).mean(axis=0)
    mrr = np.where(ranks > 0, 1.0 / np.maximum(ranks, 1), 0.0).mean(axis=0)
    return r5 + mrr


def pick(ranks: np.ndarray, rows: np.ndarray, *, tolerance: float) -> int:
    """The row within `tolerance` questions' worth (tolerance / n) of the best objective
    with the fewest non-zero weights; then the best objective; then the smaller weights."""
    score = objective(ranks)
    near = np.flatnonzero(score >= score.max() - tolerance / max(ranks.shape[0], 1) - 1e-12)
    return int(min(near, key=lambda r: (np.count_nonzero(rows[r]), -score[r], rows[r].sum(), r)))


def held_out(
    ranks: np.ndarray,
    rows: np.ndarray,
    fold: Sequence[object],
    members: Sequence[int],
    *,
    tolerance: float,
) -> np.ndarray:
    """Per member query, its rank under the row picked on the members of the other folds."""
    out = np.zeros(len(fold), dtype=np.int64)
    for f in sorted(set(fold[i] for i in members), key=str):
        train = [i for i in members if fold[i] != f]
        test = [i for i in members if fold[i] == f]
        out[test] = ranks[test, pick(ranks[train], rows, tolerance=tolerance)]
    return out


@dataclass(frozen=True)
class Subset:
    name: str
    keep: Callable[[PoolQuery], bool]


def _paraphrase(p: PoolQuery) -> bool:
    return "paraphrase" in p.question.kind


SUBSETS = (
    Subset("pool", lambda p: True),
    Subset("pool nl", lambda p: p.question.lang == "nl"),
    Subset("pool en", lambda p: p.question.lang == "en"),
    Subset("gold questions nl", lambda p: p.source == "questions" and p.question.lang == "nl"),
    Subset("gold questions en", lambda p: p.source == "questions" and p.question.lang == "en"),
    Subset("constraint_probe", lambda p: p.source == "constraint_probe"),
    Subset("english_probe", lambda p: p.source == "english_probe"),
    Subset("nearmiss_dev", lambda p: p.source == "nearmiss_dev"),
    Subset("claims", lambda p: p.source == "claims"),
    Subset("claims_dev", lambda p: p.source == "claims_dev"),
    Subset("questions nl", lambda p: p.source in QUESTION_FILES and p.question.lang == "nl"),
    Subset("claims nl", lambda p: p.source in CLAIM_FILES and p.question.lang == "nl"),
)


def row_cells(pool: Sequence[PoolQuery], ranks: np.ndarray) -> list[str]:
    """'R@5 / MRR@10 / paraphrase R@5' for every subset."""
    cells = []
    for subset in SUBSETS:
        members = [i for i, p in enumerate(pool) if subset.keep(p)]
        para = [i for i in members if _paraphrase(pool[i])]
        m = scores_of(ranks[members])
        p5 = f"{scores_of(ranks[para])['R@5']:.2f}" if para else "-"
        cells.append(f"{m['R@5']:.2f} / {m['MRR@10']:.3f} / {p5}")
    return cells


def header() -> str:
    names = " | ".join(s.name for s in SUBSETS)
    return (
        f"| system (R@5 / MRR@10 / paraphrase R@5) | {names} |\n"
        + "|---" * (len(SUBSETS) + 1)
        + "|"
    )


def counts(pool: Sequence[PoolQuery]) -> str:
    parts = []
    for subset in SUBSETS:
        members = [p for p in pool if subset.keep(p)]
        parts.append(f"{subset.name} {len(members)} ({sum(map(_paraphrase, members))} para)")
    return "; ".join(parts)


def describe(row: np.ndarray) -> str:
    """'dense 1, bm25 0.5, ...': the non-zero weights of a grid row."""
    return ", ".join(f"{n} {w:g}" for n, w in zip(NAMES, row, strict=True) if w)


def by_language(pool: Sequence[PoolQuery]) -> Iterable[tuple[str, list[int]]]:
    """(language, the positions of its queries) for Dutch, then English."""
    for lang in ("nl", "en"):
        yield lang, [i for i, p in enumerate(pool) if p.question.lang == lang]


def fixed_ranks(
    queries: Sequence[Query], pool: Sequence[PoolQuery], weights: Mapping[str, Mapping[str, float]]
) -> np.ndarray:
    """First-relevant rank per query under fixed per-language weights."""
    ranks = np.zeros(len(pool), dtype=np.int64)
    for lang, members in by_language(pool):
        row = weight_row(weights[lang])
        ranks[members] = rank_matrix([queries[i] for i in members], row)[:, 0]
    return ranks


def baselines(
    queries: Sequence[Query], pool: Sequence[PoolQuery], *, untranslated: bool
) -> dict[str, np.ndarray]:
    """The fixed systems: weights before the refit, shipped weights, the robust baselines."""
    equal = {"dense": 1.0, "bm25": 1.0, "sentence": 1.0}
    fixed: dict[str, Mapping[str, Mapping[str, float]]] = {
        "weights before the refit": BEFORE,
        "shipped weights (FUSION_WEIGHTS)": FUSION_WEIGHTS,
        "equal dense + BM25 + sentence": {"nl": equal, "en": equal},
        "BM25 only": {"nl": {"bm25": 1.0}, "en": {"bm25": 1.0}},
        "dense only": {"nl": {"dense": 1.0}, "en": {"dense": 1.0}},
    }
    out = {
        name: fixed_ranks(queries, pool, without_untranslated_bm25(w, translated=not untranslated))
        for name, w in fixed.items()
    }
    english = ("dense", "chars", "sentence") if untranslated else NAMES[:4]
    signals = {"nl": NAMES[:4], "en": english}
    out["plain RRF (k 60; dense, BM25, n-grams, sentence)"] = np.array(
        [rrf_rank(q, signals[p.question.lang]) for p, q in zip(pool, queries, strict=True)]
    )
    return out


def refit(
    queries: Sequence[Query], pool: Sequence[PoolQuery], *, untranslated: bool, tolerance: float
) -> dict[str, np.ndarray]:
    """The refit's ranks in-sample, leave-one-file-out and random 5-fold; prints each
    fold's pick and the weights picked on the whole pool."""
    n = len(pool)
    folds = {
        "leave-one-file-out": [p.source for p in pool],
        "random 5-fold": [i % FOLDS for i in np.random.default_rng(0).permutation(n)],
    }
    out = {name: np.zeros(n, dtype=np.int64) for name in ("in-sample", *folds)}
    for lang, members in by_language(pool):
        start = BEFORE[lang]
        rows = grid_rows(start, english_untranslated=lang == "en" and untranslated)
        ranks = np.zeros((n, rows.shape[0]), dtype=np.int64)
        ranks[members] = rank_matrix([queries[i] for i in members], rows)
        for name, fold in folds.items():
            out[name][members] = held_out(ranks, rows, fold, members, tolerance=tolerance)[members]
        for source in sorted({pool[i].source for i in members}):
            train = [i for i in members if pool[i].source != source]
            picked = pick(ranks[train], rows, tolerance=tolerance)
            print(f"{lang} without {source}: {describe(rows[picked])}")
        best = pick(ranks[members], rows, tolerance=tolerance)
        out["in-sample"][members] = ranks[members, best]
        print(f"{lang} fitted on the whole pool: {describe(rows[best])}")
    return {f"pool refit, {name}": ranks for name, ranks in out.items()}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tolerance", type=float, default=TOLERANCE_QUESTIONS, help="in questions")
    args = parser.parse_args(argv)

    settings = Settings()
    index = load_index(settings.index_dir, config=settings.index_config())
    untranslated = not settings.translate_english
    pool = load_pool()
    queries = collect(index, pool)
    unmatched = [p.question.qid for p, q in zip(pool, queries, strict=True) if not q.relevant.any()]
    print(f"{len(pool)} queries: {counts(pool)}; evidence in no passage: {unmatched}")
    print(f"translate English: {settings.translate_english}; tolerance {args.tolerance} questions")
    results = baselines(queries, pool, untranslated=untranslated)
    results |= refit(queries, pool, untranslated=untranslated, tolerance=args.tolerance)
    print(header())
    for name, ranks in results.items():
        print(f"| {name} | " + " | ".join(row_cells(pool, ranks)) + " |")


if __name__ == "__main__":
    main()
