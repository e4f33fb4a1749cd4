"""Answer-selection rule ablation with cross-validated ranking weights (issue 14).

Every rule and score part of the answer selection (service/selection.py, the evidence
scorer in service/evidence.py that feeds it, the summary candidates in service/answer.py)
is switched off one at a time by monkeypatching the module that looks it up, never by a
flag in the service. For each variant it prints the evidence-in-answer rate of the
answerable questions on

- gold: eval/gold/questions.jsonl, the shipped weights, and 5-fold cross-validated (the
  ranking weights in GRID picked on four fifths of the answerable gold questions, the fifth
  answered with them; folds fixed by --seed);
- tune: the pooled tuning questions (gold + english_probe + nearmiss_dev and
  constraint_probe answerables) in sample and 5-fold cross-validated the same way;
- probe: the old frozen probes' answerables (retrieval_probe, nearmiss_probe), measured
  only: nothing here is fitted on them, and they are read only to report (`--no-probes`
  leaves them unread, for a helper that may not see them);
- chars: the mean length of the pooled tuning answers (characters of the answer text).

An answer holds the evidence as in eval/runner.py: not abstained, and the answer text or a
quote covers an evidence or `also` string. The *_probe2.jsonl files are never read.
Retrieval does not depend on any selection rule, so each question's search runs once and is
reused by every variant (`memoised_search`).

    MINUSMA_INDEX_DIR=var/index HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/answer_ablation.py

Result (e5 index, main bf670c8 merged, seed 0, ~2 min at load 1-3 on 2 cores; answerable
questions: gold 142, english_probe 40, nearmiss_dev 35, constraint_probe 20; retrieval_probe
54, nearmiss_probe 26), with the sentence budget (`--length`: EXTRA_SENTENCES 1, CLOSE_SCORE
0.2; its row is the fixed count of four sentences it replaced):

| rule off | gold | gold CV | tune | tune CV | retrieval_probe | nearmiss_probe | chars |
|---|---|---|---|---|---|---|---|
| (shipped) | 0.831 | 0.824 | 0.743 | 0.713 | 0.741 | 0.846 | 728 |
| similarity (normalised cosine) | 0.803 | 0.796 | 0.713 | 0.709 | 0.667 | 0.846 | 708 |
| retrieval-rank prior | 0.761 | 0.732 | 0.705 | 0.684 | 0.685 | 0.846 | 789 |
| passage coverage | 0.817 | 0.782 | 0.738 | 0.722 | 0.778 | 0.846 | 786 |
| answer-type bonus | 0.810 | 0.803 | 0.734 | 0.726 | 0.704 | 0.808 | 737 |
| reason words (why -> reason bonus) | 0.824 | 0.803 | 0.743 | 0.722 | 0.704 | 0.846 | 732 |
| summary: conclusions candidates | 0.803 | 0.768 | 0.722 | 0.705 | 0.741 | 0.846 | 727 |
| signpost penalty | 0.810 | 0.810 | 0.730 | 0.709 | 0.741 | 0.846 | 728 |
| ':' announcement completion | 0.817 | 0.810 | 0.730 | 0.700 | 0.741 | 0.846 | 727 |
| source-reference skipping | 0.824 | 0.810 | 0.738 | 0.726 | 0.741 | 0.846 | 729 |
| question-sentence skipping | 0.810 | 0.789 | 0.730 | 0.705 | 0.722 | 0.846 | 725 |
| lead's neighbour completion | 0.824 | 0.810 | 0.734 | 0.722 | 0.741 | 0.846 | 729 |
| close candidates lengthen the answer | 0.817 | 0.796 | 0.730 | 0.713 | 0.741 | 0.808 | 645 |

Re-run at 9a8e14d with `--no-probes` (issue 14, whose helper may not read the probes;
gold / gold CV / tune / tune CV / chars; the measured-and-dropped selection changes of that
issue are in bench/selection_variants.py):

| rule off | gold | gold CV | tune | tune CV | chars |
|---|---|---|---|---|---|
| (shipped) | 0.831 | 0.824 | 0.751 | 0.726 | 727 |
| similarity (normalised cosine) | 0.803 | 0.796 | 0.722 | 0.717 | 706 |
| retrieval-rank prior | 0.761 | 0.746 | 0.709 | 0.684 | 780 |
| passage coverage | 0.817 | 0.796 | 0.747 | 0.730 | 783 |
| answer-type bonus | 0.803 | 0.796 | 0.734 | 0.734 | 737 |
| reason words (why -> reason bonus) | 0.824 | 0.796 | 0.751 | 0.730 | 732 |
| summary: conclusions candidates | 0.803 | 0.768 | 0.730 | 0.709 | 726 |
| signpost penalty | 0.810 | 0.810 | 0.738 | 0.709 | 727 |
| ':' announcement completion | 0.817 | 0.810 | 0.738 | 0.713 | 727 |
| source-reference skipping | 0.824 | 0.810 | 0.747 | 0.738 | 728 |
| question-sentence skipping | 0.817 | 0.803 | 0.743 | 0.734 | 725 |
| lead's neighbour completion | 0.824 | 0.803 | 0.743 | 0.726 | 729 |
| close candidates lengthen the answer | 0.824 | 0.817 | 0.743 | 0.730 | 645 |

Every rule off still costs gold; four read better on the pooled tune CV when off (passage
coverage, answer-type bonus, source-reference skipping by 1-3 questions, the budget by 1)
while costing gold in sample and gold CV, as in the first run.

The first run of this table (on 1c440fb, fixed four sentences, shipped row 0.817 / 0.796 /
0.734 / 0.713 / 0.741 / 0.808 / 643) found every part helping gold 5-fold or the pooled
5-fold except the term-overlap duplicate filter (no answer changed anywhere: deleted) and
two near ties that stay: source-reference skipping (a bare citation is no answer) and the
lead's neighbour completion (gold and gold 5-fold worse without it, pooled 5-fold better by
one or two questions, probes equal). Passage coverage and the answer-type bonus read better
on the pooled 5-fold when off, but worse on gold 5-fold; the type bonus also on both probes.
Without passage coverage retrieval_probe reads 0.778, but answers grow 8% (more candidates
score close to the lead, so the budget lengthens more of them): a length effect, kept.

`--length` (pooled tuning questions; mean / median characters of the answers):

| extra | close | tune | gold | mean chars | median chars |
|---|---|---|---|---|---|
| 0 (four sentences) | - | 0.730 | 0.817 | 645 | 610 |
| 1 | 0.1 | 0.734 | 0.824 | 664 | 642 |
| 1 | 0.15 | 0.738 | 0.831 | 693 | 686 |
| **1** | **0.2** | **0.743** | **0.831** | **728** | **722** |
| 1 | 0.25 | 0.747 | 0.831 | 748 | 738 |
| 2 | 0.15 | 0.743 | 0.838 | 728 | 714 |
| 2 | 0.2 | 0.759 | 0.845 | 787 | 780 |
| 3 | 0.3 | 0.768 | 0.845 | 962 | 981 |

5-fold CV, a fold picking only among points whose training answers are at most 20% longer
than four sentences' (seeds 0-2): 0.743 each time (fixed four: 0.730), picks (1, 0.25) in
12 of 15 folds, else (1, 0.2); 0.2 is shipped, one question and 20 characters shorter.
Fixed counts for comparison: five sentences 0.747 at 806 mean characters, six 0.768 at 962
(measured before the merge, same index). The tune-CV column refits only the two ranking
weights and reads 0.713 with the budget and without it.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from eval.gold import DEFAULT_GOLD_DIR, GoldQuestion, load_gold  # noqa: E402
from service import answer as A  # noqa: E402
from service import evidence as E  # noqa: E402
from service import selection as S  # noqa: E402
from service.engine import build_engine  # noqa: E402
from service.settings import Settings  # noqa: E402

TUNING = ("questions", "english_probe", "nearmiss_dev", "constraint_probe")
PROBES = ("retrieval_probe", "nearmiss_probe")  # old frozen probes: measured, never fitted
FOLDS = 5
# The ranking weights cross-validation refits per fold: (module, attribute) -> values.
GRID: dict[tuple[Any, str], tuple[float, ...]] = {
    (S, "SIMILARITY_WEIGHT"): (0.0, 0.05, 0.1, 0.25, 0.5),
    (S, "ANSWER_TYPE_BONUS"): (0.0, 0.1, 0.2, 0.3),
}

# `length_study`: the sentence budget's grid and the longest answers (mean characters,
# relative to the fixed count) a fold may pick.
LENGTH_EXTRA = (1, 2, 3)
LENGTH_CLOSE = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
MAX_GROWTH = 1.2

# name -> the module attributes it replaces: (module, attribute, value).
Patch = tuple[Any, str, Any]
ABLATIONS: dict[str, list[Patch]] = {
    "(shipped)": [],
    "similarity (normalised cosine)": [(S, "SIMILARITY_WEIGHT", 0.0)],
    "retrieval-rank prior": [(E, "RANK_PRIOR_WEIGHT", 0.0)],
    "passage coverage": [(E, "PASSAGE_WEIGHT", 0.0)],
    "answer-type bonus": [(S, "ANSWER_TYPE_BONUS", 0.0)],
    "reason words (why -> reason bonus)": [(S, "asks_why", lambda _q: False)],
    "summary: conclusions candidates": [(A, "asks_summary", lambda _q: False)],
    "signpost penalty": [(S, "SIGNPOST_PENALTY", 0.0)],
    "':' announcement completion": [(S, "announces", lambda _s: False)],
    "source-reference skipping": [(S, "is_source_reference", lambda _s: False)],
    "question-sentence skipping": [(S, "can_answer", lambda _s: True)],
    "lead's neighbour completion": [(S, "_neighbours", lambda _top, _by: [])],
    "close candidates lengthen the answer": [(S, "EXTRA_SENTENCES", 0)],
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """One question answered by one variant."""

    holds: bool  # grounded, and the answer covers an evidence or `also` string
    chars: int  # length of the answer text (0 when it abstained)


@contextmanager
def patched(patches: Sequence[Patch]) -> Iterator[None]:
    """The module attributes replaced for the duration of the block."""
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    try:
        for module, name, value in patches:
            setattr(module, name, value)
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def load_answerable(name: str) -> list[GoldQuestion]:
    """The answerable questions of eval/gold/<name>.jsonl, read by eval's own loader."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(DEFAULT_GOLD_DIR / f"{name}.jsonl", Path(tmp) / "questions.jsonl")
        claims = (DEFAULT_GOLD_DIR / "claims.jsonl").read_text().splitlines()[0]
        (Path(tmp) / "claims.jsonl").write_text(claims + "\n")
        return [q for q in load_gold(Path(tmp)).questions if q.answerable]


def memoised_search(answerer: A.Answerer) -> None:
    """Cache the answerer's index search per (query, k): retrieval is the slow part and no
    selection rule changes it."""
    answerer.index.search = functools.lru_cache(maxsize=None)(answerer.index.search)  # type: ignore[method-assign]


def outcome(question: GoldQuestion, answer: A.Answer) -> Outcome:
    """eval/runner.py's test: grounded, and the answer or a quote covers a gold string."""
    text = " ".join([answer.answer, *(c.quote for c in answer.citations)])
    holds = answer.grounded and question.relevant_set.found_in_answer(text)
    return Outcome(holds, len(answer.answer) if answer.grounded else 0)


def answer_all(
    answerer: A.Answerer, questions: Sequence[GoldQuestion], retrievals: Sequence[A.Retrieval]
) -> list[Outcome]:
    """Each question answered from its retrieval by the current selection rules."""
    return [
        outcome(q, answerer.extractive(q.question, r))
        for q, r in zip(questions, retrievals, strict=True)
    ]


def grid_points() -> list[list[Patch]]:
    """Every combination of GRID's values, as patches; a weight switched off stays off."""
    axes = [
        [(module, name, v) for v in values] if getattr(module, name) else [(module, name, 0.0)]
        for (module, name), values in GRID.items()
    ]
    return [list(point) for point in itertools.product(*axes)]


def cross_validated(
    outcomes: np.ndarray, *, seed: int, allowed: Callable[[np.ndarray], np.ndarray] | None = None
) -> tuple[float, list[str]]:
    """Held-out rate when each fold is answered with the grid point best on the others.

    `outcomes` is (grid points, questions) of 0/1; ties go to the first grid point.
    `allowed` maps the training questions' indices to a mask of the grid points that may
    be picked (all when None).
    """
    n = outcomes.shape[1]
    held_out = np.zeros(n)
    picks = []
    order = np.random.default_rng(seed).permutation(n)
    for test in np.array_split(order, FOLDS):
        train = np.setdiff1d(order, test)
        rates = outcomes[:, train].mean(axis=1)
        if allowed is not None:
            rates = np.where(allowed(train), rates, -1.0)
        best = int(np.argmax(rates))
        held_out[test] = outcomes[best, test]
        picks.append(best)
    return float(held_out.mean()), [str(p) for p in picks]


@dataclass(frozen=True, slots=True)
class Row:
    """One variant's numbers."""

    gold: float
    gold_cv: float
    tune: float
    tune_cv: float
    probes: tuple[float, ...]  # one rate per file of PROBES
    chars: float


def evaluate(
    answerer: A.Answerer,
    tuning: dict[str, list[GoldQuestion]],
    probes: dict[str, list[GoldQuestion]],
    *,
    seed: int,
) -> Row:
    """The current variant's Row (see the module docstring)."""
    pooled = [q for qs in tuning.values() for q in qs]
    n_gold = len(tuning["questions"])
    retrievals = [answerer.retrieve(q.question, top_k=5) for q in pooled]
    shipped = answer_all(answerer, pooled, retrievals)
    probe_rates = []
    for qs in probes.values():
        found = answer_all(answerer, qs, [answerer.retrieve(q.question, top_k=5) for q in qs])
        probe_rates.append(float(np.mean([o.holds for o in found])))
    grid = grid_points()
    table = np.zeros((len(grid), len(pooled)))
    for g, point in enumerate(grid):
        with patched(point):
            table[g] = [o.holds for o in answer_all(answerer, pooled, retrievals)]
    gold_cv, _ = cross_validated(table[:, :n_gold], seed=seed)
    tune_cv, picks = cross_validated(table, seed=seed)
    print(f"  tune fold picks (grid point): {picks} of {len(grid)}", file=sys.stderr)
    return Row(
        gold=float(np.mean([o.holds for o in shipped[:n_gold]])),
        gold_cv=gold_cv,
        tune=float(np.mean([o.holds for o in shipped])),
        tune_cv=tune_cv,
        probes=tuple(probe_rates),
        chars=statistics.fmean(o.chars for o in shipped if o.chars),
    )


def length_study(
    answerer: A.Answerer, tuning: dict[str, list[GoldQuestion]], *, seed: int
) -> Iterator[str]:
    """`sentence_budget`'s two values (EXTRA_SENTENCES x CLOSE_SCORE) on the pooled tuning
    questions, in sample, and 5-fold cross-validated with the pick limited to grid points
    whose training answers are at most MAX_GROWTH longer (mean characters) than the fixed
    count's (EXTRA_SENTENCES 0)."""
    pooled = [q for qs in tuning.values() for q in qs]
    retrievals = [answerer.retrieve(q.question, top_k=5) for q in pooled]
    grid = [(0, 0.0)] + list(itertools.product(LENGTH_EXTRA, LENGTH_CLOSE))
    holds = np.zeros((len(grid), len(pooled)))
    chars = np.zeros((len(grid), len(pooled)))
    yield "| extra sentences | close score | tune | gold | mean chars | median chars |"
    yield "|---|---|---|---|---|---|"
    base = answerer.max_sentences - S.EXTRA_SENTENCES  # the shipped four
    for g, (extra, close) in enumerate(grid):
        budget = [(S, "EXTRA_SENTENCES", extra), (A, "EXTRA_SENTENCES", extra)]
        cap = [(answerer, "max_sentences", base + extra)]  # the setting is the cap
        with patched([*budget, (S, "CLOSE_SCORE", close), *cap]):
            found = answer_all(answerer, pooled, retrievals)
        holds[g] = [o.holds for o in found]
        chars[g] = [o.chars for o in found]
        answered = chars[g][chars[g] > 0]
        yield (
            f"| {extra} | {close} | {holds[g].mean():.3f} | "
            f"{holds[g, : len(tuning['questions'])].mean():.3f} | {answered.mean():.0f} | "
            f"{np.median(answered):.0f} |"
        )

    def allowed(train: np.ndarray) -> np.ndarray:
        answered = chars[:, train] > 0
        mean = (chars[:, train] * answered).sum(axis=1) / np.maximum(answered.sum(axis=1), 1)
        return mean <= MAX_GROWTH * mean[0]

    for s in (seed, seed + 1, seed + 2):
        cv, picks = cross_validated(holds, seed=s, allowed=allowed)
        chosen = [grid[int(p)] for p in picks]
        yield f"5-fold CV (seed {s}, growth <= {MAX_GROWTH}): {cv:.3f}, picks {chosen}"


def table(
    answerer: A.Answerer,
    tuning: dict[str, list[GoldQuestion]],
    probes: dict[str, list[GoldQuestion]],
    *,
    seed: int,
    only: str | None,
) -> Iterator[str]:
    """The markdown rows, one per variant."""
    sizes = {**{k: len(v) for k, v in tuning.items()}, **{k: len(v) for k, v in probes.items()}}
    yield f"answerable questions: {sizes}"
    names = "".join(f"{name} | " for name in probes)
    yield f"| rule off | gold | gold CV | tune | tune CV | {names}chars |"
    yield "|---|---|---|---|---|" + "---|" * len(probes) + "---|"
    for name, patches in ABLATIONS.items():
        if only and only not in name and name != "(shipped)":
            continue
        with patched(patches):
            r = evaluate(answerer, tuning, probes, seed=seed)
        yield (
            f"| {name} | {r.gold:.3f} | {r.gold_cv:.3f} | {r.tune:.3f} | {r.tune_cv:.3f} | "
            + "".join(f"{p:.3f} | " for p in r.probes)
            + f"{r.chars:.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="fixes the 5 folds")
    parser.add_argument("--only", help="run only the variants whose name contains this")
    parser.add_argument("--length", action="store_true", help="only the sentence-budget study")
    parser.add_argument(
        "--no-probes", action="store_true", help="read no frozen probe (PROBES columns left out)"
    )
    args = parser.parse_args()
    answerer = build_engine(Settings()).answerer
    memoised_search(answerer)
    tuning = {name: load_answerable(name) for name in TUNING}
    probes = {} if args.no_probes else {name: load_answerable(name) for name in PROBES}
    if args.length:
        for row in length_study(answerer, tuning, seed=args.seed):
            print(row, flush=True)
        return
    for row in table(answerer, tuning, probes, seed=args.seed, only=args.only):
        print(row, flush=True)


if __name__ == "__main__":
    main()
