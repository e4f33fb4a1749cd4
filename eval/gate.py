"""The regression gate: hard floors, drops against a baseline, targets, per-question flips.

`eval/floors.json` maps a metric to bounds: `min` / `max` are hard floors the current
system meets (a run below one fails), `target` is a goal an issue set (shown as met or
unmet, never failing a run; `<=` for lower-is-better metrics, else `>=`). Optional
`source` / `why` strings document where a number comes from.

Against a baseline, a gated metric may not get worse by more than max(tolerance, 1/n),
n being the number of items the metric averages over: in a small group one question
flipping moves the metric by 1/n, and the gate allows that one flip, not two. Only the
headline groups are gated; per-kind groups are reported, not gated.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eval.errors import EvalError
from eval.scoring import HEADLINE_GROUPS, LOWER_IS_BETTER, RETRIEVAL_METRICS

DEFAULT_FLOORS = Path(__file__).resolve().parent / "floors.json"
DEFAULT_TOLERANCE = 0.02


@dataclass(frozen=True, slots=True)
class Check:
    """One gate check: a metric against a floor or against its baseline value."""

    metric: str
    value: float | None
    limit: float
    kind: str  # "floor-min", "floor-max", "baseline", "target-min", "target-max"
    passed: bool

    @property
    def blocking(self) -> bool:
        """Does a failure of this check fail the run (targets never do)?"""
        return not self.kind.startswith("target")


@dataclass(frozen=True, slots=True)
class Flip:
    """A question or claim whose outcome changed since the baseline."""

    id: str
    what: str  # "retrieval", "answer", "abstention", "verdict"
    before: Any
    after: Any
    better: bool


def gated_metrics(metrics: dict[str, float]) -> list[str]:
    """Metric keys compared against the baseline (headline groups, answers, cite)."""
    keys = [f"retrieval/{g}/{m}" for g in HEADLINE_GROUPS for m in RETRIEVAL_METRICS]
    keys += [f"answers/{g}/evidence_rate" for g in HEADLINE_GROUPS]
    keys += [k for k in metrics if k.startswith("answers/") and k.count("/") == 1]
    keys += ["cite/support_top3", "cite/verdict_accuracy"]
    return [k for k in keys if k in metrics and not _is_count(k)]


def _is_count(key: str) -> bool:
    return key.endswith("/n") or key.split("/")[-1].startswith("n_") or key == "answers/quotes"


_BOUNDS = frozenset({"min", "max", "target"})
_NOTES = frozenset({"source", "why"})


def load_floors(path: Path = DEFAULT_FLOORS) -> dict[str, dict[str, float]]:
    """Read the floors file (bounds only, notes dropped); raise EvalError if malformed."""
    data = _read_json(path, what="floors")
    floors: dict[str, dict[str, float]] = {}
    for metric, entry in data.items():
        if not isinstance(entry, dict) or not set(entry) <= _BOUNDS | _NOTES:
            raise EvalError(f"{path}: {metric!r} needs an object with min, max and/or target")
        bounds = {key: value for key, value in entry.items() if key in _BOUNDS}
        if not bounds or not all(isinstance(v, int | float) for v in bounds.values()):
            raise EvalError(f"{path}: {metric!r} needs a numeric min, max or target")
        floors[metric] = {key: float(value) for key, value in bounds.items()}
    return floors


def load_baseline(path: Path) -> dict[str, Any]:
    """Read a baseline (or an earlier results.json)."""
    data = _read_json(path, what="baseline")
    if "metrics" not in data:
        raise EvalError(
            f"{path} has no 'metrics'; write one with `minusma-qa eval --update-baseline`"
        )
    return data


def check_floors(metrics: dict[str, float], floors: dict[str, dict[str, float]]) -> list[Check]:
    """Every floor and target: the metric must exist and be on the right side of its bound."""
    checks = []
    for metric, bound in sorted(floors.items()):
        value = metrics.get(metric)
        if "min" in bound:
            checks.append(_bound_check(metric, value, bound["min"], "floor-min"))
        if "max" in bound:
            checks.append(_bound_check(metric, value, bound["max"], "floor-max"))
        if "target" in bound:
            side = "target-max" if metric in LOWER_IS_BETTER else "target-min"
            checks.append(_bound_check(metric, value, bound["target"], side))
    return checks


def _bound_check(metric: str, value: float | None, limit: float, kind: str) -> Check:
    if value is None:
        return Check(metric, value, limit, kind, False)
    ok = value <= limit if kind.endswith("max") else value >= limit
    return Check(metric, value, limit, kind, ok)


def allowed_drop(metric: str, metrics: dict[str, float], *, tolerance: float) -> float:
    """max(tolerance, 1/n): how far `metric` may move the wrong way (one item's flip)."""
    n = metrics.get(_count_key(metric), 0)
    return max(tolerance, 1.0 / n) if n else tolerance


def _count_key(metric: str) -> str:
    """The metrics key holding how many items `metric` averages over."""
    parts = metric.split("/")
    if parts[0] == "retrieval" or (parts[0] == "answers" and len(parts) == 3):
        return f"retrieval/{parts[1]}/n"
    return {
        "answers/abstention_recall": "answers/n_unanswerable",
        "answers/false_abstention_rate": "answers/n_answerable",
        "answers/abstention_precision": "answers/n_abstained",
        "answers/quotes_verbatim": "answers/quotes",
        "cite/support_top3": "cite/n_supported",
        "cite/verdict_accuracy": "cite/n",
    }.get(metric, "")


def check_baseline(
    metrics: dict[str, float], baseline: dict[str, float], *, tolerance: float
) -> list[Check]:
    """Gated metrics may not be worse than the baseline by more than `allowed_drop`."""
    checks = []
    for metric in gated_metrics(metrics):
        if metric not in baseline:
            continue
        before, after = baseline[metric], metrics[metric]
        slack = allowed_drop(metric, baseline, tolerance=tolerance)
        if metric in LOWER_IS_BETTER:
            limit = before + slack
            checks.append(Check(metric, after, limit, "baseline", after <= limit + 1e-9))
        else:
            limit = before - slack
            checks.append(Check(metric, after, limit, "baseline", after >= limit - 1e-9))
    return checks


def outcomes(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-item outcomes flips are computed from (also what a baseline stores)."""
    out: dict[str, dict[str, Any]] = {}
    for q in results.get("questions", []):
        out[q["id"]] = {
            "retrieval": q.get("success@5", q.get("scores", {}).get("success@5")),
            "answer": q.get("answer_ok"),
            "abstention": q.get("abstained"),
            "answerable": q.get("answerable", q.get("answer_ok") is not None),
        }
    for c in results.get("claims", []):
        out[c["id"]] = {"verdict": c.get("verdict"), "expected": c.get("expected_verdict")}
    return out


def flips(current: dict[str, Any], baseline: dict[str, Any]) -> list[Flip]:
    """Items whose retrieval, answer, abstention or verdict outcome changed."""
    now, before = outcomes(current), outcomes(baseline)
    changed: list[Flip] = []
    for item_id in sorted(set(now) & set(before)):
        a, b = before[item_id], now[item_id]
        for what in ("retrieval", "answer", "abstention", "verdict"):
            if what in a and what in b and a[what] != b[what] and a[what] is not None:
                changed.append(Flip(item_id, what, a[what], b[what], _better(what, a, b)))
    return changed


def compact(results: dict[str, Any]) -> dict[str, Any]:
    """What a committed baseline keeps: fingerprint, metrics and per-item outcomes."""
    return {
        "fingerprint": results.get("fingerprint", {}),
        "metrics": results["metrics"],
        "questions": [
            {
                "id": q["id"],
                "success@5": q["scores"].get("success@5"),
                "evidence_recall@5": q["scores"].get("evidence_recall@5"),
                "first_rank": q["first_rank"],
                "answer_ok": q["answer_ok"],
                "abstained": q["abstained"],
            }
            for q in results["questions"]
        ],
        "claims": [
            {"id": c["id"], "verdict": c["verdict"], "expected_verdict": c["expected_verdict"]}
            for c in results["claims"]
        ],
    }


def check_to_dict(check: Check | Flip) -> dict[str, Any]:
    """JSON-ready form of a check or flip."""
    return asdict(check)


def _better(what: str, before: dict[str, Any], after: dict[str, Any]) -> bool:
    if what == "retrieval":
        return float(after[what] or 0) > float(before[what] or 0)
    if what == "answer":
        return bool(after[what])
    if what == "verdict":
        return after[what] == after.get("expected")
    return bool(after[what]) != bool(after.get("answerable"))  # abstain iff unanswerable


def _read_json(path: Path, *, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise EvalError(f"{what} file {path} not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise EvalError(f"{what} file {path} is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise EvalError(f"{what} file {path} must hold a JSON object")
    return data
