"""Turn a run's per-item records into the flat metric table (`group/name` keys).

Keys: `retrieval/<group>/<metric>`, `answers/<group>/evidence_rate`, `answers/abstention_*`,
`answers/quotes_verbatim`, `cite/support_top3`, `cite/verdict_accuracy`,
`cite/kind=<kind>/verdict_accuracy`, and the counts behind them (`.../n`,
`answers/n_answerable`, `answers/n_unanswerable`, `answers/n_abstained`, `cite/n_supported`).
Groups: `all`, `lang=nl`, `lang=en`, `kind=<kind>`, `lang=nl,kind=paraphrase` (the Dutch
questions asked without the report's words), and `type=<count|date|money|name>`: the
questions that ask for a value of that type (service/question.py `expected_type`, the
answerer's own reading of the question word), across kinds.

Retrieval metrics: `success@k` (any relevant passage in the top k; relevant = covers an
`evidence` or `also` string), `evidence_recall@k` (share of the `evidence` strings found in
the top k), `mrr@10` and `ndcg@10` (over the same relevance as success).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from eval.metrics import abstention_scores, mean, percentile
from eval.runner import CURVE_KS, ClaimResult, QuestionResult, RunRecord
from service.question import AnswerType, expected_type

RETRIEVAL_METRICS = (
    "success@1",
    "success@3",
    "success@5",
    "success@10",
    "evidence_recall@5",
    "evidence_recall@10",
    "mrr@10",
    "ndcg@10",
)
CURVE_METRICS = ("success", "evidence_recall")
HEADLINE_GROUPS = ("all", "lang=nl", "lang=en", "lang=nl,kind=paraphrase")
LOWER_IS_BETTER = frozenset({"answers/false_abstention_rate"})


class Grouped(Protocol):
    """Anything with a question's language and kind."""

    @property
    def lang(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def question(self) -> str: ...


G = TypeVar("G", bound=Grouped)


def groups(questions: Sequence[G]) -> dict[str, list[G]]:
    """The question groups metrics are reported for (members in gold order)."""
    selectors: dict[str, Callable[[G], bool]] = {
        "all": lambda q: True,
        "lang=nl": lambda q: q.lang == "nl",
        "lang=en": lambda q: q.lang == "en",
        "lang=nl,kind=paraphrase": lambda q: q.lang == "nl" and q.kind == "paraphrase",
    }
    for kind in sorted({q.kind for q in questions}):
        selectors[f"kind={kind}"] = _of_kind(kind)
    types = {q.question: expected_type(q.question) for q in questions}
    for answer_type in sorted(set(types.values()) - {AnswerType.ANY}):
        selectors[f"type={answer_type.value}"] = _of_type(answer_type, types)
    return {name: [q for q in questions if pick(q)] for name, pick in selectors.items()}


def _of_kind(kind: str) -> Callable[[Grouped], bool]:
    return lambda q: q.kind == kind


def _of_type(answer_type: AnswerType, types: dict[str, AnswerType]) -> Callable[[Grouped], bool]:
    return lambda q: types[q.question] is answer_type


def retrieval_metrics(questions: Sequence[QuestionResult]) -> dict[str, float]:
    """Mean retrieval scores per group over the answerable questions."""
    out: dict[str, float] = {}
    for name, members in groups([q for q in questions if q.answerable]).items():
        if not members:
            continue
        out[f"retrieval/{name}/n"] = len(members)
        for metric in RETRIEVAL_METRICS:
            out[f"retrieval/{name}/{metric}"] = _mean([q.scores[metric] for q in members])
    return out


def answer_metrics(questions: Sequence[QuestionResult]) -> dict[str, float]:
    """Evidence-in-answer rate per group, abstention precision/recall, verbatim quotes."""
    out: dict[str, float] = {}
    for name, members in groups([q for q in questions if q.answerable]).items():
        if members:
            rate = _mean([float(bool(q.answer_ok)) for q in members])
            out[f"answers/{name}/evidence_rate"] = rate
    abstention = abstention_scores(
        [q.abstained for q in questions], [q.answerable for q in questions]
    )
    out["answers/n_answerable"] = sum(q.answerable for q in questions)
    out["answers/n_unanswerable"] = sum(not q.answerable for q in questions)
    out["answers/n_abstained"] = sum(q.abstained for q in questions)
    out["answers/abstention_precision"] = abstention["precision"]
    out["answers/abstention_recall"] = abstention["recall"]
    out["answers/false_abstention_rate"] = abstention["false_rate"]
    quotes = sum(q.quotes for q in questions)
    out["answers/quotes"] = quotes
    verbatim = sum(q.quotes_verbatim for q in questions)
    out["answers/quotes_verbatim"] = verbatim / quotes if quotes else 1.0
    return out


def cite_metrics(claims: Sequence[ClaimResult]) -> dict[str, float]:
    """Supporting passage in the top 3 (supported claims) and verdict accuracy."""
    out: dict[str, float] = {}
    supported = [c for c in claims if c.support_top3 is not None]
    if supported:
        out["cite/n_supported"] = len(supported)
        out["cite/support_top3"] = _mean([float(bool(c.support_top3)) for c in supported])
    if claims:
        out["cite/n"] = len(claims)
        right = [float(c.verdict == c.expected_verdict) for c in claims]
        out["cite/verdict_accuracy"] = _mean(right)
    for kind in sorted({c.kind for c in claims}):
        members = [c for c in claims if c.kind == kind]
        out[f"cite/kind={kind}/verdict_accuracy"] = _mean(
            [float(c.verdict == c.expected_verdict) for c in members]
        )
    return out


def recall_curves(questions: Sequence[QuestionResult]) -> dict[str, dict[str, list[float]]]:
    """success@k and evidence_recall@k for k = 1..10 per headline group (the report's curves)."""
    grouped = groups([q for q in questions if q.answerable])
    return {
        metric: {
            name: [_mean([q.scores[f"{metric}@{k}"] for q in grouped[name]]) for k in CURVE_KS]
            for name in HEADLINE_GROUPS
            if grouped.get(name)
        }
        for metric in CURVE_METRICS
    }


def verdict_confusion(claims: Sequence[ClaimResult]) -> dict[str, dict[str, int]]:
    """expected verdict -> given verdict -> count."""
    table: dict[str, dict[str, int]] = {}
    for c in claims:
        row = table.setdefault(c.expected_verdict, {})
        row[c.verdict] = row.get(c.verdict, 0) + 1
    return table


def latency_summary(latency_ms: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """p50 / p95 / max per endpoint, in milliseconds."""
    return {
        name: {
            "n": len(values),
            "p50": round(percentile(values, 50), 2),
            "p95": round(percentile(values, 95), 2),
            "max": round(max(values), 2),
        }
        for name, values in latency_ms.items()
        if values
    }


def summarize(record: RunRecord) -> dict[str, Any]:
    """All metrics of a run (deterministic part) plus curves, confusion and latency."""
    metrics = {
        **retrieval_metrics(record.questions),
        **answer_metrics(record.questions),
        **cite_metrics(record.claims),
    }
    return {
        "metrics": {key: round(value, 6) for key, value in sorted(metrics.items())},
        "curves": recall_curves(record.questions),
        "verdicts": verdict_confusion(record.claims),
        "latency_ms": latency_summary(record.latency_ms),
    }


def _mean(values: Sequence[float]) -> float:
    value = mean(values)
    return 0.0 if value is None else value
