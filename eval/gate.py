"""The regression gate: floors, drops against a baseline, and per-question flips.

Floors live in `eval/floors.json` (`{"metric": {"min": x}}` or `{"max": y}`), the numbers
the issues set. Against a baseline, a gated metric may not get worse by more than the
tolerance. Only the headline groups are gated; per-kind groups are small (a single
question moves them by 10% or more) and are reported, not gated.
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
    kind: str  # "floor-min", "floor-max", "baseline"
    passed: bool


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
    return [k for k in keys if k in metrics and k != "answers/quotes"]


def load_floors(path: Path = DEFAULT_FLOORS) -> dict[str, dict[str, float]]:
    """Read the floors file; raise EvalError on a missing or malformed file."""
    data = _read_json(path, what="floors")
    for metric, bound in data.items():
        if not isinstance(bound, dict) or not set(bound) <= {"min", "max"} or not bound:
            raise EvalError(f"{path}: {metric!r} needs {{'min': x}} or {{'max': y}}")
    return data


def load_baseline(path: Path) -> dict[str, Any]:
    """Read a baseline (or an earlier results.json)."""
    data = _read_json(path, what="baseline")
    if "metrics" not in data:
        raise EvalError(
            f"{path} has no 'metrics'; write one with `minusma-qa eval --update-baseline`"
        )
    return data


def check_floors(metrics: dict[str, float], floors: dict[str, dict[str, float]]) -> list[Check]:
    """Every floor: the metric must exist and be on the right side of its bound."""
    checks = []
    for metric, bound in sorted(floors.items()):
        value = metrics.get(metric)
        if "min" in bound:
            ok = value is not None and value >= bound["min"]
            checks.append(Check(metric, value, bound["min"], "floor-min", ok))
        if "max" in bound:
            ok = value is not None and value <= bound["max"]
            checks.append(Check(metric, value, bound["max"], "floor-max", ok))
    return checks


def check_baseline(
    metrics: dict[str, float], baseline: dict[str, float], *, tolerance: float
) -> list[Check]:
    """Gated metrics may not be worse than the baseline by more than `tolerance`."""
    checks = []
    for metric in gated_metrics(metrics):
        if metric not in baseline:
            continue
        before, after = baseline[metric], metrics[metric]
        if metric in LOWER_IS_BETTER:
            limit = before + tolerance
            checks.append(Check(metric, after, limit, "baseline", after <= limit + 1e-9))
        else:
            limit = before - tolerance
            checks.append(Check(metric, after, limit, "baseline", after >= limit - 1e-9))
    return checks


def outcomes(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-item outcomes flips are computed from (also what a baseline stores)."""
    out: dict[str, dict[str, Any]] = {}
    for q in results.get("questions", []):
        out[q["id"]] = {
            "retrieval": q.get("recall@5", q.get("scores", {}).get("recall@5")),
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
                "recall@5": q["scores"].get("recall@5"),
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
