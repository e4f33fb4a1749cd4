"""Answer-side rule ablation with cross-validated ranking weights (issue 14).

Every rule and score part of the answerer (service/answer.py, service/selection.py,
service/evidence.py) is switched off one at a time by monkeypatching the module that looks
it up, never by a flag in the service.
For each variant it prints the evidence-in-answer rate of the answerable questions on

- gold: eval/gold/questions.jsonl, the shipped weights;
- gold-CV: the same questions, 5-fold cross-validated (folds fixed by --seed): on each
  training part SIMILARITY_WEIGHT and ANSWER_TYPE_BONUS are picked from a small grid, and
  the held-out fifth is answered with them;
- constraint_probe and english_probe (eval/gold/, older probes the rules were not written
  for; english_probe also shows its false-abstention rate).

An answer holds the evidence as in eval/runner.py: not abstained, and the answer text or a
quote covers an evidence or `also` string. The frozen held-out probes (retrieval_probe,
nearmiss_probe, claim_probe) are never read here.

    MINUSMA_INDEX_DIR=/tmp/h5idx HF_HUB_OFFLINE=1 .venv/bin/python bench/answer_ablation.py

Result (e5 index, seed 0, ~3 min): shipped gold 0.796, gold-CV 0.775, constraint_probe
0.600, english_probe 0.400 (false abstention 0.300). Each row below is worse on gold-CV
or a probe except source-reference skipping and the term-overlap filter (neutral here).
Removed after an earlier run of this table (no gain on gold, CV or either probe, or a
loss): the sentence's own lexical coverage in the score, the summary bonus, the
recommendations as candidates, the 25-character minimum, `leans_back`, the 3 passages x
2 sentences cap, and the cosine >= 0.9 duplicate test.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
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
from eval.metrics import abstention_scores  # noqa: E402
from service import answer as A  # noqa: E402
from service import evidence as E  # noqa: E402
from service import selection as S  # noqa: E402
from service.engine import build_engine  # noqa: E402
from service.settings import Settings  # noqa: E402

PROBES = ("constraint_probe", "english_probe")  # never the frozen held-out probes
FOLDS = 5
SIMILARITY_GRID = (0.0, 0.05, 0.1, 0.25, 0.5, 0.75)
TYPE_GRID = (0.0, 0.1, 0.15, 0.2, 0.3)

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
    "lead's neighbour completion": [(S, "_neighbours", lambda _top, _by: [])],
    "term-overlap duplicate filter": [(S, "MAX_TERM_OVERLAP", 1.01)],
}


@dataclass(frozen=True, slots=True)
class Rates:
    """One variant on one question file."""

    evidence: float  # answerable questions whose answer holds the evidence
    false_abstention: float
    abstention_recall: float | None  # None when the file has no unanswerable question


@contextmanager
def patched(patches: list[Patch]) -> Iterator[None]:
    """The module attributes replaced for the duration of the block."""
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    try:
        for module, name, value in patches:
            setattr(module, name, value)
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def load_questions(name: str) -> list[GoldQuestion]:
    """The questions of eval/gold/<name>.jsonl, read by eval's own loader."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(DEFAULT_GOLD_DIR / f"{name}.jsonl", Path(tmp) / "questions.jsonl")
        claims = (DEFAULT_GOLD_DIR / "claims.jsonl").read_text().splitlines()[0]
        (Path(tmp) / "claims.jsonl").write_text(claims + "\n")
        return list(load_gold(Path(tmp)).questions)


def holds_evidence(question: GoldQuestion, answer: A.Answer) -> bool:
    """eval/runner.py's test: grounded, and the answer or a quote covers a gold string."""
    text = " ".join([answer.answer, *(c.quote for c in answer.citations)])
    return answer.grounded and question.relevant_set.found_in_answer(text)


def rates(answerer: A.Answerer, questions: list[GoldQuestion]) -> Rates:
    """Answer every question (top_k 5, as the evaluation asks) and score the answers."""
    answers = [answerer.answer(q.question, top_k=5) for q in questions]
    answerable = [q.answerable for q in questions]
    ok = [holds_evidence(q, a) for q, a in zip(questions, answers, strict=True) if q.answerable]
    abst = abstention_scores([not a.grounded for a in answers], answerable)
    recall = abst["recall"] if not all(answerable) else None
    return Rates(float(np.mean(ok)), abst["false_rate"], recall)


def cross_validated(answerer: A.Answerer, questions: list[GoldQuestion], *, seed: int) -> float:
    """Held-out evidence rate with (SIMILARITY_WEIGHT, ANSWER_TYPE_BONUS) fitted per fold.

    Retrieval does not depend on these two weights, so each question is retrieved once and
    only the ranking and assembly rerun per grid point. Ties go to the first grid point.
    """
    answerable = [q for q in questions if q.answerable]
    retrievals = [answerer.retrieve(q.question, top_k=5) for q in answerable]
    types = TYPE_GRID if S.ANSWER_TYPE_BONUS else (0.0,)
    sims = SIMILARITY_GRID if S.SIMILARITY_WEIGHT else (0.0,)
    grid = list(itertools.product(sims, types))
    outcome = np.zeros((len(grid), len(answerable)))
    for g, (sim, bonus) in enumerate(grid):
        with patched([(S, "SIMILARITY_WEIGHT", sim), (S, "ANSWER_TYPE_BONUS", bonus)]):
            for i, (q, r) in enumerate(zip(answerable, retrievals, strict=True)):
                outcome[g, i] = holds_evidence(q, answerer.extractive(q.question, r))
    held_out = np.zeros(len(answerable))
    picks: list[tuple[float, float]] = []
    order = np.random.default_rng(seed).permutation(len(answerable))
    for test in np.array_split(order, FOLDS):
        train = np.setdiff1d(order, test)
        best = int(np.argmax(outcome[:, train].mean(axis=1)))
        held_out[test] = outcome[best, test]
        picks.append(grid[best])
    print(f"  fold picks (similarity, type bonus): {picks}", file=sys.stderr)
    return float(held_out.mean())


def table(
    answerer: A.Answerer, files: dict[str, list[GoldQuestion]], *, seed: int, only: str | None
) -> Iterator[str]:
    """The markdown rows, one per variant."""
    yield "| rule switched off | gold | gold-CV | constraint_probe | english_probe (false abst.) |"
    yield "|---|---|---|---|---|"
    for name, patches in ABLATIONS.items():
        if only and only not in name and name != "(shipped)":
            continue
        with patched(patches):
            gold = rates(answerer, files["questions"])
            cv = cross_validated(answerer, files["questions"], seed=seed)
            probe = {p: rates(answerer, files[p]) for p in PROBES}
        english = probe["english_probe"]
        yield (
            f"| {name} | {gold.evidence:.3f} | {cv:.3f} | "
            f"{probe['constraint_probe'].evidence:.3f} | "
            f"{english.evidence:.3f} ({english.false_abstention:.3f}) |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="fixes the 5 folds")
    parser.add_argument("--only", help="run only the variants whose name contains this")
    args = parser.parse_args()
    answerer = build_engine(Settings()).answerer
    files = {name: load_questions(name) for name in ("questions", *PROBES)}
    shipped = rates(answerer, files["questions"])
    print(
        f"gold (shipped): evidence {shipped.evidence:.3f}, abstention recall "
        f"{shipped.abstention_recall:.3f}, false abstention {shipped.false_abstention:.3f}"
    )
    for row in table(answerer, files, seed=args.seed, only=args.only):
        print(row, flush=True)


if __name__ == "__main__":
    main()
