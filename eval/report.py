"""A self-contained report.html (inline CSS, plots as base64 PNG; no external assets)."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from eval.ablation import TABLE_COLUMNS
from eval.scoring import HEADLINE_GROUPS, RETRIEVAL_METRICS

METRIC_NOTE = (
    "success@k: a relevant passage (one that contains an <code>evidence</code> or"
    " <code>also</code> string of the gold question) is in the top k; success@1 is hit@1."
    " evidence_recall@k: share of the question's <code>evidence</code> strings found in the"
    " top k. MRR@10 and nDCG@10 use the same relevance as success@k."
    ' Issue 3\'s "Dutch recall@5 &ge; 0.95, MRR@10 &ge; 0.85, paraphrase recall@5 &ge; 0.85"'
    " are measured as success@5 and mrr@10: the issue's own figures (dense ~40%, BM25 ~77%)"
    " count a question as found when the right passage is in the top 5."
)

CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 7px;
font-size:13px;vertical-align:top;text-align:left}th{background:#f2f2f2}.num{text-align:right}
.pass{color:#176f2c;font-weight:600}.fail{color:#b00020;font-weight:600}.small{font-size:12px;
color:#555}img{max-width:100%}details{margin:.3em 0}code{font-size:12px}
"""


def write_report(path: Path, results: dict[str, Any]) -> None:
    """Render the results to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(results), encoding="utf-8")


def render_report(results: dict[str, Any]) -> str:
    """The whole page as one HTML string."""
    parts = [
        _header(results),
        _gate(results["gate"]),
        "<h2>Retrieval</h2>",
        _img(_curve(results["curves"]["success"], "success@k"), "success@k"),
        _img(
            _curve(results["curves"]["evidence_recall"], "evidence_recall@k"), "evidence_recall@k"
        ),
        _group_table(results["metrics"]),
        _img(_kind_bars(results["metrics"]), "metrics by question kind"),
        "<h2>Answers</h2>",
        _answers_by_group(results["metrics"]),
        _answers_table(results["metrics"]),
        "<h2>Citation lookup</h2>",
        _cite_tables(results),
        "<h2>Latency</h2>",
        _latency(results),
        _ablation(results.get("ablation")),
        _flips(results.get("flips")),
        _question_failures(results["questions"]),
        _claim_failures(results["claims"]),
        _unmatched(results.get("unmatched_evidence", [])),
    ]
    body = "\n".join(p for p in parts if p)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>minusma-qa evaluation</title><style>{CSS}</style></head><body>{body}</body></html>"
    )


# --- pieces ----------------------------------------------------------------------------


def _header(results: dict[str, Any]) -> str:
    fp = results["fingerprint"]
    health = fp["index"].get("health", {})
    rows = [
        ("target", fp["target"]),
        ("embedding model", health.get("embedding_model", "?")),
        ("index built at", health.get("index_built_at", "?")),
        ("passages", fp["index"]["passages"]),
        ("corpus sha256", fp["index"]["corpus_sha256"][:16]),
        ("settings sha256", fp["settings"]["sha256"][:16]),
        ("gold sha256", fp["gold_sha256"][:16]),
        ("questions / claims", f"{len(results['questions'])} / {len(results['claims'])}"),
    ]
    return "<h1>minusma-qa evaluation</h1>" + _table(["", ""], rows)


def _gate(gate: dict[str, Any]) -> str:
    verdict = (
        "<span class='pass'>PASS</span>" if gate["passed"] else "<span class='fail'>FAIL</span>"
    )
    rows = [
        (c["metric"], c["kind"], _fmt(c["value"]), _fmt(c["limit"]), _ok(c["passed"]))
        for c in gate["checks"]
    ]
    note = (
        f"<p class='small'>Blocking checks: hard floors (min/max) and drops against the"
        f" baseline (allowed drop max({gate['tolerance']}, 1/n), one question's flip).</p>"
    )
    targets = [
        (
            t["metric"],
            "&le;" if t["kind"] == "target-max" else "&ge;",
            _fmt(t["value"]),
            _fmt(t["limit"]),
            _ok(t["passed"], "met", "unmet"),
        )
        for t in gate.get("targets", [])
    ]
    target_part = (
        "<h3>Targets (informational, never fail the run)</h3>"
        f"<p class='small'>{METRIC_NOTE}</p>"
        + _table(["metric", "", "value", "target", ""], targets, raw_columns={1})
        if targets
        else ""
    )
    return (
        f"<h2>Gate: {verdict}</h2>"
        + note
        + _table(["metric", "check", "value", "limit", ""], rows)
        + target_part
    )


def _group_table(metrics: dict[str, float]) -> str:
    group_names = sorted(
        {k.split("/")[1] for k in metrics if k.startswith("retrieval/")},
        key=lambda g: (g not in HEADLINE_GROUPS, g),
    )
    rows = [
        (
            g,
            int(metrics[f"retrieval/{g}/n"]),
            *(_fmt(metrics[f"retrieval/{g}/{m}"]) for m in RETRIEVAL_METRICS),
        )
        for g in group_names
    ]
    return f"<p class='small'>{METRIC_NOTE}</p>" + _table(["group", "n", *RETRIEVAL_METRICS], rows)


def _answers_by_group(metrics: dict[str, float]) -> str:
    """Answer evidence rate per question kind, asked value type and language, with n."""
    groups = [
        k.removeprefix("answers/").removesuffix("/evidence_rate")
        for k in metrics
        if k.startswith("answers/") and k.endswith("/evidence_rate")
    ]
    order = ("kind=", "type=", "lang=", "all")
    rows = [
        (g, metrics.get(f"retrieval/{g}/n", "-"), _fmt(metrics[f"answers/{g}/evidence_rate"]))
        for prefix in order
        for g in sorted(groups)
        if g.startswith(prefix) and "," not in g
    ]
    return "<p>answer holds the evidence, per group</p>" + _table(
        ["group", "answerable", "evidence rate"], rows
    )


def _answers_table(metrics: dict[str, float]) -> str:
    rows = [
        (k.removeprefix("answers/"), _fmt(v))
        for k, v in metrics.items()
        if k.startswith("answers/")
    ]
    return _table(["metric", "value"], rows)


def _cite_tables(results: dict[str, Any]) -> str:
    metrics = results["metrics"]
    rows = [(k.removeprefix("cite/"), _fmt(v)) for k, v in metrics.items() if k.startswith("cite/")]
    verdicts = results.get("verdicts", {})
    given = sorted({v for row in verdicts.values() for v in row})
    confusion = [(exp, *(row.get(v, 0) for v in given)) for exp, row in sorted(verdicts.items())]
    return (
        _table(["metric", "value"], rows)
        + "<p>expected (rows) vs given verdict</p>"
        + _table(["expected", *given], confusion)
    )


def _latency(results: dict[str, Any]) -> str:
    summary = results.get("latency_ms", {})
    rows = [(name, s["n"], s["p50"], s["p95"], s["max"]) for name, s in sorted(summary.items())]
    samples = results.get("latency_samples_ms") or {}
    plot = _img(_latency_plot(samples), "latency") if samples else ""
    return _table(["endpoint", "n", "p50 ms", "p95 ms", "max ms"], rows) + plot


def _ablation(ablation: dict[str, Any] | None) -> str:
    if not ablation:
        return ""
    header = ["system", *(f"{m} ({g})" for g, m in TABLE_COLUMNS)]
    rows = [
        (system, *(_fmt(ablation["table"][system].get(g, {}).get(m)) for g, m in TABLE_COLUMNS))
        for system in ablation["systems"]
    ]
    return "<h2>Ablation</h2>" + _table(header, rows) + _img(_ablation_plot(ablation), "ablation")


def _flips(flips: list[dict[str, Any]] | None) -> str:
    if flips is None:
        return "<h2>Flips since baseline</h2><p>No baseline given (--baseline FILE).</p>"
    rows = [
        (f["id"], f["what"], str(f["before"]), str(f["after"]), _ok(f["better"], "better", "worse"))
        for f in flips
    ]
    return f"<h2>Flips since baseline ({len(rows)})</h2>" + _table(
        ["id", "what", "before", "after", ""], rows
    )


def _question_failures(questions: Sequence[dict[str, Any]]) -> str:
    failed = [q for q in questions if _failed(q)]
    rows = []
    for q in failed:
        got = [r["section"] for r in q["retrieved"][:3]]
        retrieved = ", ".join(
            f"{r['passage_id']}{'*' if r['covered'] else ''}" for r in q["retrieved"][:5]
        )
        outcome = (
            "abstained" if q["abstained"] else ("answered" if q["answer_ok"] else "no evidence")
        )
        rows.append(
            (
                q["id"],
                f"{q['lang']}/{q['kind']}",
                q["question"],
                ", ".join(q["gold_sections"]) or "-",
                ", ".join(got),
                _fmt(q["scores"].get("success@5")) if q["scores"] else "-",
                _fmt(q["scores"].get("evidence_recall@5")) if q["scores"] else "-",
                q["first_rank"] or "-",
                outcome,
                retrieved,
                q["answer"][:220],
            )
        )
    head = [
        "id",
        "lang/kind",
        "question",
        "expected §",
        "got § (top 3)",
        "success@5",
        "evidence_recall@5",
        "rank",
        "answer",
        "retrieved (top 5, * = relevant)",
        "answer text",
    ]
    return f"<h2>Question failures ({len(rows)})</h2>" + _table(head, rows)


def _claim_failures(claims: Sequence[dict[str, Any]]) -> str:
    rows = [
        (
            c["id"],
            c["kind"],
            c["expected_verdict"],
            c["verdict"],
            str(c["support_top3"]),
            ", ".join(c["matches"]),
        )
        for c in claims
        if c["verdict"] != c["expected_verdict"] or c["support_top3"] is False
    ]
    head = ["id", "kind", "expected", "verdict", "support in top 3", "matches"]
    return f"<h2>Claim failures ({len(rows)})</h2>" + _table(head, rows)


def _unmatched(unmatched: list[str]) -> str:
    if not unmatched:
        return ""
    return (
        "<h2>Evidence in no passage</h2><p>Ingest lost or garbled this text (or the gold is"
        " wrong): " + escape(", ".join(unmatched)) + "</p>"
    )


def _failed(q: dict[str, Any]) -> bool:
    if not q["answerable"]:
        return not q["abstained"]
    return q["scores"]["success@5"] < 1.0 or not q["answer_ok"]


# --- plots ---------------------------------------------------------------------------


def _curve(curves: dict[str, list[float]], label: str) -> Figure:
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    for name, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, marker="o", label=name)
    ax.set(xlabel="k", ylabel=label, ylim=(0, 1.02), title=f"{label}, k = 1..10")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def _kind_bars(metrics: dict[str, float]) -> Figure:
    kinds = sorted({k.split("/")[1] for k in metrics if k.startswith("retrieval/kind=")})
    series = [
        ("success@5", [metrics[f"retrieval/{k}/success@5"] for k in kinds]),
        ("mrr@10", [metrics[f"retrieval/{k}/mrr@10"] for k in kinds]),
        ("answer evidence", [metrics.get(f"answers/{k}/evidence_rate", 0.0) for k in kinds]),
    ]
    fig = Figure(figsize=(8, 3.5))
    ax = fig.add_subplot()
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series):
        ax.bar([x + i * width for x in range(len(kinds))], values, width, label=label)
    ax.set_xticks([x + width for x in range(len(kinds))], [k.removeprefix("kind=") for k in kinds])
    ax.set(ylim=(0, 1.05), title="By question kind")
    ax.legend(fontsize=8)
    return fig


def _latency_plot(samples: dict[str, list[float]]) -> Figure:
    names = sorted(samples)
    fig = Figure(figsize=(6, 3))
    ax = fig.add_subplot()
    ax.boxplot([samples[n] for n in names], showfliers=True)
    ax.set_xticks(range(1, len(names) + 1), names)
    ax.set(ylabel="ms", title="Latency per endpoint (client side)")
    ax.set_yscale("log")
    return fig


def _ablation_plot(ablation: dict[str, Any]) -> Figure:
    systems = ablation["systems"]
    fig = Figure(figsize=(7, 3.5))
    ax = fig.add_subplot()
    width = 0.8 / len(TABLE_COLUMNS[:4])
    for i, (group, metric) in enumerate(TABLE_COLUMNS[:4]):
        values = [ablation["table"][s].get(group, {}).get(metric, 0.0) for s in systems]
        ax.bar(
            [x + i * width for x in range(len(systems))], values, width, label=f"{metric} {group}"
        )
    ax.set_xticks([x + 1.5 * width for x in range(len(systems))], systems)
    ax.set(ylim=(0, 1.05), title="Ablation")
    ax.legend(fontsize=7)
    return fig


# --- helpers -------------------------------------------------------------------------


def _img(fig: Figure, alt: str) -> str:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<p><img alt='{escape(alt)}' src='data:image/png;base64,{data}'></p>"


def _table(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    raw_columns: frozenset[int] | set[int] = frozenset(),
) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(_cell(_Raw(v) if i in raw_columns else v) for i, v in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value: Any) -> str:
    if isinstance(value, _Raw):
        return f"<td>{value}</td>"
    cls = " class='num'" if isinstance(value, int | float) else ""
    return f"<td{cls}>{escape(str(value))}</td>"


class _Raw(str):
    """Trusted HTML produced here (a pass/fail badge), inserted unescaped."""


def _ok(passed: bool, yes: str = "pass", no: str = "fail") -> _Raw:
    return _Raw(f"<span class='pass'>{yes}</span>" if passed else f"<span class='fail'>{no}</span>")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
