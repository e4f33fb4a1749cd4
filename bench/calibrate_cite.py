"""Calibrate the claim verdicts of /api/cite on the gold and dev claims, cross-validated.

Every claim of eval/gold/claims.jsonl, eval/gold/claims_dev.jsonl and
eval/gold/claims_dev2.jsonl (the second dev set, 2026-12-03: supported claims reworded the way
a briefing writer summarises, so the thresholds are not fitted to light paraphrases only) is
looked up once (ClaimChecker.weigh: the ranked matches, and how the first three support the
claim and each of its clauses, with the contradiction signals each match raises). Then, for every
subset of the signals (polarity, quantifier, replaced), a grid search picks the support
weights (soft coverage, term coverage, similarity), FULL_Z and the two thresholds
(`partial`: the clause coverage floor; `supported`: the whole claim's support score) with
the best verdict accuracy. Ties: the weighting with the widest plateau of best threshold
pairs, then the middle tied supported threshold, then the middle tied partial one.
Each subset is scored in sample and by nested leave-one-out and 5-fold (10 shuffles):
weights and thresholds are re-picked without the held-out claims, so a signal is kept
only when it helps on claims nothing was picked on. Also printed: the share of supported
claims with a covering passage in the top 3, the same for the 142 gold questions'
reference answers looked up as claims (a check that the rank weights do not merely fit
the claims), and verdict accuracy per kind and per distortion family with the current
settings.

    .venv/bin/python bench/calibrate_cite.py [--index-dir var/index] [--claims FILE ...]

Put the printed weights into service/cite.py (SUPPORT_WEIGHTS, FULL_Z, SIGNALS) and the
thresholds into service/settings.py (cite_*_threshold). The frozen claim probe is never
passed here.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from eval.gold import DEFAULT_GOLD_DIR, GoldClaim, load_claims, load_gold  # noqa: E402
from eval.relevance import EvidenceSet  # noqa: E402
from service.cite import (  # noqa: E402
    FULL_Z,
    SIGNALS,
    SUPPORT_WEIGHTS,
    VERDICT_DEPTH,
    ClaimChecker,
    ClaimEvidence,
    Support,
    _contradicting,
    decide,
)
from service.engine import build_engine  # noqa: E402
from service.settings import Settings  # noqa: E402

CLAIM_FILES = ("claims.jsonl", "claims_dev.jsonl", "claims_dev2.jsonl")
SUPPORTED = [round(x * 0.01, 2) for x in range(20, 81)]
PARTIAL = [round(x * 0.05, 2) for x in range(15)]  # clause coverage floors, 0-0.7
WEIGHTS = [
    (soft / 10, lexical / 10, round(1 - soft / 10 - lexical / 10, 2))
    for soft in range(8)
    for lexical in range(4)
]
FULL_ZS = [4.0, 6.0, 8.0, 10.0, 12.0]
DEV_SOURCES = {"d": "dev", "x": "dev2"}  # id prefix -> claims file, for the per-kind rates
FOLDS = 5
SHUFFLES = 10
Weighting = tuple[tuple[float, float, float], float]


@dataclass(frozen=True, slots=True)
class Looked:
    """One claim, what the lookup found, and whether a top-3 match covers its evidence."""

    gold: GoldClaim
    distortion: str
    evidence: ClaimEvidence | None  # None when the claim was found verbatim
    in_top3: bool | None  # None for claims that should not be supported


def look_up(checker: ClaimChecker, claim: GoldClaim, distortion: str) -> Looked:
    in_top3 = None
    if claim.supported:
        covers = EvidenceSet.of(claim.evidence)
        matches = checker.check(claim.claim, top_k=VERDICT_DEPTH).matches
        in_top3 = any(covers.covered_by(m.passage.text) for m in matches)
    if checker.find_verbatim(claim.claim):
        return Looked(claim, distortion, None, in_top3)
    return Looked(claim, distortion, checker.weigh(claim.claim), in_top3)


def verdict(item: Looked, partial: float, supported: float, signals: frozenset[str]) -> str:
    if item.evidence is None:
        return "supported"
    return decide(item.evidence, supported=supported, partial=partial, signals=signals).verdict


def summary(
    item: Looked, signals: frozenset[str], weighting: Weighting
) -> tuple[float, float, float, float, float]:
    """What `decide` compares with the thresholds: the best clean score of the whole claim
    (agreeing, no signal), the best contradicting score, the best and the worst clause's
    clean score, and the least clause coverage by the best clean match's passage."""
    if item.evidence is None:
        return 2.0, -1.0, -1.0, -1.0, 2.0
    weights, full_z = weighting

    def score(s: Support) -> float:
        return s.score(weights, full_z=full_z)

    def clean(supports: list[Support]) -> float:
        scores = [score(s) for s in supports if s.agrees and not s.conflicts & signals]
        return max(scores, default=-1.0)

    evidence = item.evidence
    clauses = [clean(supports) for _, supports in evidence.clauses] or [-1.0]
    ok = [k for k, s in enumerate(evidence.whole) if s.agrees and not s.conflicts & signals]
    coverage = 2.0
    if ok and evidence.clauses:
        at = max(ok, key=lambda k: (score(evidence.whole[k]), k))
        coverage = min(supports[at].coverage(full_z=full_z) for _, supports in evidence.clauses)
    best = clean(evidence.whole)
    contradicting = _contradicting(evidence.whole, signals, weights, full_z)
    return best, contradicting, max(clauses), min(clauses), coverage


@dataclass(frozen=True, slots=True)
class Grid:
    """Every (partial, supported) pair and, per pair, what it says on each item."""

    pairs: list[tuple[float, float]]
    said: np.ndarray  # pairs x items, verdict strings
    right: np.ndarray  # pairs x items, said == expected


def grid(items: list[Looked], signals: frozenset[str], weighting: Weighting) -> Grid:
    """The verdicts of every (partial, supported) pair on the items."""
    expected = np.array([i.gold.expected_verdict for i in items])
    rows = np.array([summary(i, signals, weighting) for i in items]).T
    whole, contradicting, best, worst, coverage = rows
    pairs, verdicts = [], []
    for partial, supported in itertools.product(PARTIAL, SUPPORTED):
        holds = (whole >= supported) & (whole >= contradicting)
        some = (best >= supported) & (worst < supported)
        said = np.where(
            holds,
            np.where(coverage >= partial, "supported", "partial"),
            np.where(
                contradicting >= supported, "not_found", np.where(some, "partial", "not_found")
            ),
        )
        pairs.append((partial, supported))
        verdicts.append(said)
    said_all = np.array(verdicts)
    return Grid(pairs, said_all, said_all == expected)


def pick(pairs: list[tuple[float, float]], right: np.ndarray) -> tuple[int, int]:
    """The best pair's row and how many pairs tie with it: best accuracy; among ties, the
    middle tied supported threshold, then the middle tied partial threshold."""
    accuracy = right.mean(axis=1)
    tied = np.flatnonzero(accuracy == accuracy.max())
    width = len(tied)
    supported = np.array([pairs[r][1] for r in tied])
    middle = float(np.sort(supported)[len(supported) // 2])
    tied = tied[supported == middle]
    return int(tied[len(tied) // 2]), width


def choose(grids: dict[Weighting, Grid], keep: np.ndarray) -> tuple[Weighting, int]:
    """The weighting and threshold row picked on the claims in `keep`: best accuracy, then
    the widest plateau of tied threshold pairs, then the first in grid order."""
    best: tuple[float, int, Weighting, int] | None = None
    for weighting, g in grids.items():
        row, width = pick(g.pairs, g.right[:, keep])
        accuracy = float(g.right[row, keep].mean())
        if best is None or (accuracy, width) > best[:2]:
            best = (accuracy, width, weighting, row)
    assert best is not None
    return best[2], best[3]


def held_out(grids: dict[Weighting, Grid], folds: list[np.ndarray], n: int) -> np.ndarray:
    """What the weights and thresholds picked without each fold's claims say on them."""
    said = np.empty(n, dtype=object)
    for fold in folds:
        weighting, row = choose(grids, np.setdiff1d(np.arange(n), fold))
        said[fold] = grids[weighting].said[row, fold]
    return said


def confusion(items: list[Looked], said: list[np.ndarray]) -> dict[str, dict[str, float]]:
    """Per distortion kind, how often each expected -> said pair occurs (mean over runs)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for run in said:
        for item, verdict_said in zip(items, run, strict=True):
            expected = item.gold.expected_verdict
            counts[item.distortion][f"{expected} -> {verdict_said}"] += 1
    return {
        kind: {pair: round(n / len(said), 1) for pair, n in sorted(c.items())}
        for kind, c in sorted(counts.items())
    }


def answers_top3(checker: ClaimChecker) -> float:
    """Top-3 support of the gold questions' reference answers looked up as claims."""
    questions = [q for q in load_gold().questions if q.answerable]
    hits = 0
    for q in questions:
        matches = checker.check(q.answer, top_k=VERDICT_DEPTH).matches
        hits += any(q.relevant_set.covered_by(m.passage.text) for m in matches)
    return hits / len(questions)


def load(paths: list[Path]) -> list[tuple[GoldClaim, str]]:
    out = []
    for path in paths:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        distortion = {r["id"]: r.get("distortion", r["kind"]) for r in rows}
        out += [(c, distortion[c.id]) for c in load_claims(path)]
    return out


def rate(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("--claims", type=Path, nargs="+", default=None)
    parser.add_argument("--no-answers", action="store_true", help="skip the answers' top 3")
    parser.add_argument(
        "--no-ablation", action="store_true", help="score only the signals in use, not subsets"
    )
    args = parser.parse_args()
    settings = Settings() if args.index_dir is None else Settings(index_dir=args.index_dir)
    checker = build_engine(settings).checker
    paths = args.claims or [DEFAULT_GOLD_DIR / name for name in CLAIM_FILES]
    items = [look_up(checker, claim, distortion) for claim, distortion in load(paths)]
    n = len(items)
    expected = np.array([i.gold.expected_verdict for i in items])
    shuffles = [np.random.default_rng(seed).permutation(n) for seed in range(SHUFFLES)]
    subsets = {}
    confusions = {}
    for size in [len(SIGNALS)] if args.no_ablation else range(len(SIGNALS) + 1):
        for subset in itertools.combinations(sorted(SIGNALS), size):
            signals = frozenset(subset)
            grids = {(w, z): grid(items, signals, (w, z)) for w in WEIGHTS for z in FULL_ZS}
            (weights, full_z), row = choose(grids, np.arange(n))
            picked = grids[(weights, full_z)]
            five = [
                held_out(grids, [order[k::FOLDS] for k in range(FOLDS)], n) for order in shuffles
            ]
            one_out = held_out(grids, [np.array([k]) for k in range(n)], n)
            subsets["+".join(subset) or "none"] = {
                "support_weights": weights,
                "full_z": full_z,
                "thresholds (partial, supported)": picked.pairs[row],
                "in_sample": round(float(picked.right[row].mean()), 4),
                "leave_one_out": round(float(np.mean(one_out == expected)), 4),
                "5_fold": round(float(np.mean([run == expected for run in five])), 4),
            }
            if signals == SIGNALS:
                confusions = {
                    "in_sample": confusion(items, [picked.said[row]]),
                    "nested_5_fold (mean of the shuffles)": confusion(items, five),
                }
    current = (settings.cite_partial_threshold, settings.cite_supported_threshold)
    now = grid(items, SIGNALS, (SUPPORT_WEIGHTS, FULL_Z))
    said = {i.gold.id: verdict(i, *current, SIGNALS) for i in items}
    for pair, row in zip(now.pairs, now.said, strict=True):  # the grid computes what `decide` says
        if pair == current:
            assert [said[i.gold.id] for i in items] == list(row)
    per_kind: dict[str, list[bool]] = defaultdict(list)
    for item in items:
        ok = said[item.gold.id] == item.gold.expected_verdict
        source = DEV_SOURCES.get(item.gold.id[0], "gold")
        per_kind[f"{source}/{item.gold.kind}"].append(ok)
        per_kind[f"distortion={item.distortion}"].append(ok)
    top3 = [i.in_top3 for i in items if i.in_top3 is not None]
    result = {
        "claims": n,
        "signals_in_use": sorted(SIGNALS),
        "current_thresholds (partial, supported)": current,
        "current_accuracy": rate([said[i.gold.id] == i.gold.expected_verdict for i in items]),
        "current_per_kind": {k: rate(v) for k, v in sorted(per_kind.items())},
        "wrong": {
            i.gold.id: f"{i.gold.expected_verdict} -> {said[i.gold.id]}"
            for i in items
            if said[i.gold.id] != i.gold.expected_verdict
        },
        "subsets": subsets,
        "confusion (all signals; expected -> said, per distortion)": confusions,
        "supported_top3": rate(top3) if top3 else None,
    }
    if not args.no_answers:
        result["question_answers_top3"] = round(answers_top3(checker), 4)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
