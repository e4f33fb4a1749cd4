"""Calibrate the claim-verdict thresholds of /api/cite on the gold claims, with leave-one-out.

Every gold claim is looked up once (verbatim finds score 1.0; otherwise the best support
score of the top 3 matches, and whether the claim's numbers occur in that match's
passage). A grid search picks the (partial, supported) pair with the best verdict accuracy,
ties to the stricter pair; leave-one-out re-picks the pair without each claim and scores
that claim, an estimate of the accuracy on claims the thresholds were not chosen on. The
share of supported claims with a covering passage in the top 3 is printed too.

    .venv/bin/python bench/calibrate_cite.py [--index-dir var/index]

Put the printed thresholds into service/settings.py (cite_*_threshold).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from eval.gold import GoldClaim, load_gold  # noqa: E402
from eval.relevance import EvidenceSet  # noqa: E402
from service.cite import VERDICT_DEPTH, ClaimChecker, numbers_agree  # noqa: E402
from service.engine import build_engine  # noqa: E402
from service.settings import Settings  # noqa: E402

GRID = [round(x * 0.01, 2) for x in range(20, 101)]


@dataclass(frozen=True, slots=True)
class Scored:
    """One gold claim's expected verdict and what the lookup measured."""

    expected: str
    score: float
    numbers_ok: bool
    in_top3: bool | None  # None for claims that should not be supported


def score_claim(checker: ClaimChecker, claim: GoldClaim) -> Scored:
    result = checker.check(claim.claim, top_k=VERDICT_DEPTH)
    in_top3 = None
    if claim.supported:
        evidence = EvidenceSet.of(claim.evidence)
        in_top3 = any(evidence.covered_by(m.passage.text) for m in result.matches)
    if checker.find_verbatim(claim.claim):
        return Scored(claim.expected_verdict, 1.0, True, in_top3)
    best = max(result.matches, key=lambda m: m.score, default=None)
    if best is None:
        return Scored(claim.expected_verdict, 0.0, True, in_top3)
    return Scored(
        claim.expected_verdict, best.score, numbers_agree(claim.claim, best.passage.text), in_top3
    )


def verdict(item: Scored, partial: float, supported: float) -> str:
    """What ClaimChecker.verdict_of says for these thresholds."""
    if item.score >= supported:
        return "supported" if item.numbers_ok else "partial"
    return "partial" if item.score >= partial else "not_found"


def pick(items: list[Scored]) -> tuple[float, float, float]:
    """(partial, supported, accuracy) with the best accuracy; ties to the stricter pair."""
    best = (0.0, 0.0, -1.0)
    for partial in GRID:
        for supported in (s for s in GRID if s >= partial):
            hits = sum(verdict(i, partial, supported) == i.expected for i in items)
            accuracy = hits / len(items)
            if accuracy > best[2] or (accuracy == best[2] and (supported, partial) > best[1::-1]):
                best = (partial, supported, accuracy)
    return best


def leave_one_out(items: list[Scored]) -> float:
    """Accuracy on each claim of the thresholds picked without it."""
    hits = 0
    for k, item in enumerate(items):
        partial, supported, _ = pick(items[:k] + items[k + 1 :])
        hits += verdict(item, partial, supported) == item.expected
    return hits / len(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, default=None)
    args = parser.parse_args()
    settings = Settings() if args.index_dir is None else Settings(index_dir=args.index_dir)
    checker = build_engine(settings).checker
    items = [score_claim(checker, c) for c in load_gold().claims]
    partial, supported, accuracy = pick(items)
    top3 = [i.in_top3 for i in items if i.in_top3 is not None]
    result = {
        "claims": len(items),
        "cite_partial_threshold": partial,
        "cite_supported_threshold": supported,
        "verdict_accuracy": round(accuracy, 4),
        "verdict_accuracy_leave_one_out": round(leave_one_out(items), 4),
        "supported_top3": round(sum(top3) / len(top3), 4) if top3 else None,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
