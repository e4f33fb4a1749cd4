"""English questions with and without the dictionary translation (issues 12/14).

Answers every question of the tuning files (bench/calibrate_abstention.py TUNING; never
the frozen probes) with abstention off, once with MINUSMA_TRANSLATE_ENGLISH off and once
on, and reports for the English ones, per file and pooled: retrieval R@5 / MRR@10 of the
answerer's hits, answer evidence, false abstention and near-miss abstention at the
settings' threshold. The Dutch questions must come out identical (translation touches only
English): the script counts those whose confidence or answer differ.

    MINUSMA_INDEX_DIR=var/index python bench/english_route.py [--dump FILE]

`--refit`: the English fusion weights without translation (no "bm25": untranslated English
words get none), refitted on the English answerable tuning questions: the coarse grid
point (dense 1; chars, sentence, cue) with the best R@5 + MRR@10 on four folds applied to
the fifth (5-fold, seed 0; ties to the smaller weights, so fewer non-zero ones), against
the shipped weights on the same questions.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from calibrate_abstention import GOLD, TUNING, answer_all, load_jsonl, pick_threshold  # noqa: E402
from retrieval_table import first_relevant, fusion_ranks, metrics  # noqa: E402

from index.fusion import FUSION_WEIGHTS, Signals  # noqa: E402
from index.hybrid import HybridIndex  # noqa: E402
from service.engine import Engine, build_engine  # noqa: E402
from service.settings import Settings  # noqa: E402

BUDGET = 0.03  # at most 3 % of the answerable tuning questions abstain (calibrate_abstention)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One question answered with abstention off, plus the rank of its first relevant hit."""

    id: str
    file: str
    lang: str
    answerable: bool
    confidence: float
    evidence_ok: bool
    rank: int | None
    answer: str


def outcomes(engine: Engine, file: str) -> list[Outcome]:
    """Every question of one tuning file, answered and ranked."""
    questions = load_jsonl(GOLD / f"{file}.jsonl")
    rows = answer_all(engine, questions)
    out = []
    for q, row in zip(questions, rows, strict=True):
        evidence = [*q["evidence"], *q.get("also", [])]
        rank = None
        if evidence:
            hits = engine.answerer.retrieve(q["question"], top_k=10).hits
            rank = first_relevant([h.passage.text for h in hits], evidence)
        out.append(
            Outcome(
                q["id"],
                file,
                q["lang"],
                row.answerable,
                row.confidence,
                row.evidence_ok,
                rank,
                row.answer,
            )
        )
    return out


def summary(rows: list[Outcome], threshold: float) -> dict[str, Any]:
    """Retrieval and answer figures of some questions at `threshold`."""
    answerable = [r for r in rows if r.answerable]
    misses = [r for r in rows if not r.answerable]
    ranks = metrics([r.rank for r in answerable]) if answerable else {}

    def share(values: list[bool]) -> float | None:
        return round(sum(values) / len(values), 3) if values else None

    return {
        "answerable": len(answerable),
        "near_misses": len(misses),
        "R@5": round(ranks.get("R@5", 0.0), 3),
        "MRR@10": round(ranks.get("MRR@10", 0.0), 3),
        "evidence": share([r.evidence_ok and r.confidence >= threshold for r in answerable]),
        "false_abstention": share([r.confidence < threshold for r in answerable]),
        "near_miss_abstention": share([r.confidence < threshold for r in misses]),
    }


def cross_validated(rows: list[Outcome], *, budget: float, folds: int = 5) -> list[Outcome]:
    """The rows with each confidence replaced by 1 (answered) or 0 (abstained) under a
    threshold picked by the 3 % rule (`pick_threshold`) on the other folds of all the
    tuning questions, Dutch included (random folds, seed 0, as calibrate_abstention.py)."""
    order = np.random.default_rng(0).permutation(len(rows))
    decided = list(rows)
    for test in np.array_split(order, folds):
        held = set(test.tolist())
        train = [r for i, r in enumerate(rows) if i not in held]
        threshold = pick_threshold(train, budget=budget)  # type: ignore[arg-type]
        for i in held:
            answered = float(rows[i].confidence >= threshold)
            decided[i] = replace(rows[i], confidence=answered)
    return decided


# Coarse: a 60-question pool does not tell finer steps apart (README: refits on 40 were
# unstable).
REFIT_GRID = {"chars": (0.0, 0.2, 0.4, 0.8), "sentence": (0.0, 0.5, 1.0), "cue": (0.0, 0.3, 0.6)}
FOLDS = 5


@dataclass(frozen=True, slots=True)
class EnglishQuestion:
    """What retrieval_table.fusion_ranks reads of a question."""

    qid: str
    text: str
    evidence: tuple[str, ...]


def english_questions() -> list[EnglishQuestion]:
    """The answerable English questions of the tuning files."""
    return [
        EnglishQuestion(q["id"], q["question"], (*q["evidence"], *q.get("also", [])))
        for file in TUNING
        for q in load_jsonl(GOLD / f"{file}.jsonl")
        if q["lang"] == "en" and q["evidence"]
    ]


def fit(
    signals: list[Signals], questions: list[EnglishQuestion], texts: list[str]
) -> dict[str, float]:
    """The grid point with the best R@5 + MRR@10 (first best: ties to smaller weights)."""
    best: tuple[float, dict[str, float]] | None = None
    for values in itertools.product(*REFIT_GRID.values()):
        weights = {"dense": 1.0, "bm25": 0.0, **dict(zip(REFIT_GRID, values, strict=True))}
        m = metrics(fusion_ranks(signals, questions, texts, weights))  # type: ignore[arg-type]
        if best is None or m["R@5"] + m["MRR@10"] > best[0]:
            best = m["R@5"] + m["MRR@10"], weights
    assert best is not None
    return best[1]


def refit(index: HybridIndex) -> dict[str, Any]:
    """Shipped vs refitted (5-fold CV) English weights without translation."""
    questions = english_questions()
    signals = [index.signal_scores(q.text) for q in questions]
    texts = [p.text for p in index.passages]
    shipped = {**FUSION_WEIGHTS["en"], "bm25": 0.0}
    order = np.random.default_rng(0).permutation(len(questions))
    ranks: list[int | None] = [None] * len(questions)
    folds = []
    for test in np.array_split(order, FOLDS):
        held = set(test.tolist())
        train = [i for i in range(len(questions)) if i not in held]
        weights = fit([signals[i] for i in train], [questions[i] for i in train], texts)
        folds.append(weights)
        held_ranks = fusion_ranks(
            [signals[i] for i in test],
            [questions[i] for i in test],
            texts,
            weights,  # type: ignore[misc]
        )
        for i, rank in zip(test, held_ranks, strict=True):
            ranks[int(i)] = rank
    return {
        "questions": len(questions),
        "shipped": shipped,
        "shipped_metrics": metrics(fusion_ranks(signals, questions, texts, shipped)),  # type: ignore[arg-type]
        "cv5_metrics": metrics(ranks),
        "fold_weights": folds,
        "fitted_on_all": fit(signals, questions, texts),
    }


def run(translate: bool) -> list[Outcome]:
    engine = build_engine(Settings(translate_english=translate))
    return [o for file in TUNING for o in outcomes(engine, file)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, default=None, help="write every row as JSON")
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--load", type=Path, default=None, help="report on a --dump file")
    parser.add_argument("--refit", action="store_true", help="refit the English weights")
    args = parser.parse_args()
    if args.refit:
        print(json.dumps(refit(build_engine(Settings()).index), indent=2))
        return
    threshold = args.threshold if args.threshold is not None else Settings().abstain_threshold
    if args.load is not None:
        saved = json.loads(args.load.read_text())
        runs = {k: [Outcome(**r) for r in v] for k, v in saved.items()}
    else:
        runs = {"off": run(False), "on": run(True)}
    report: dict[str, Any] = {"threshold": threshold}
    for name, rows in runs.items():
        english = [r for r in rows if r.lang == "en"]
        report[name] = {"english": summary(english, threshold)} | {
            file: summary([r for r in english if r.file == file], threshold)
            for file in TUNING
            if any(r.file == file for r in english)
        }
    for name, rows in runs.items():
        decided = [r for r in cross_validated(rows, budget=BUDGET) if r.lang == "en"]
        report[f"{name}_cv5"] = {"english": summary(decided, 0.5)} | {
            file: summary([r for r in decided if r.file == file], 0.5)
            for file in TUNING
            if any(r.file == file for r in decided)
        }
        report[f"{name}_threshold"] = round(pick_threshold(rows, budget=BUDGET), 4)  # type: ignore[arg-type]
    dutch = {
        name: {(r.file, r.id): r for r in rows if r.lang == "nl"} for name, rows in runs.items()
    }
    report["dutch_differing"] = sorted(
        f"{key[0]}:{key[1]}"
        for key, off in dutch["off"].items()
        if (off.confidence, off.answer, off.rank)
        != (dutch["on"][key].confidence, dutch["on"][key].answer, dutch["on"][key].rank)
    )
    print(json.dumps(report, indent=2))
    if args.dump:
        args.dump.write_text(
            json.dumps({k: [asdict(r) for r in v] for k, v in runs.items()}, indent=1)
        )


if __name__ == "__main__":
    main()
