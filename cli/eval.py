"""`minusma-qa eval`: run the gold set, write results.json + report.html, gate on quality."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Any

import typer

from eval.ablation import markdown_table, run_ablation
from eval.client import ServiceClient, in_process, remote
from eval.errors import EvalError
from eval.gate import DEFAULT_FLOORS, DEFAULT_TOLERANCE, load_baseline, load_floors
from eval.gold import DEFAULT_GOLD_DIR, load_gold
from eval.report import write_report
from eval.results import REPORT_FILE, RESULTS_FILE, build_results, write_baseline, write_json
from eval.runner import run
from eval.scoring import HEADLINE_GROUPS
from service.settings import Settings

EXIT_REGRESSION = 1
SUMMARY_METRICS = ("success@1", "success@5", "evidence_recall@5", "mrr@10", "ndcg@10")


def register(app: typer.Typer) -> None:
    """Add the `eval` command to the project's CLI."""
    app.command("eval")(eval_command)


def eval_command(
    gold: Annotated[Path, typer.Option(help="Folder with questions.jsonl and claims.jsonl.")] = (
        DEFAULT_GOLD_DIR
    ),
    against: Annotated[
        str | None, typer.Option(help="URL of a running service; default: in process.")
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="Baseline to compare with (eval/baseline.json).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where results.json and report.html go.")] = Path(
        "eval/out"
    ),
    config: Annotated[
        Path | None, typer.Option(help="A .env file of MINUSMA_* settings to evaluate with.")
    ] = None,
    floors: Annotated[Path, typer.Option(help="Floors file (metric -> min/max).")] = DEFAULT_FLOORS,
    tolerance: Annotated[
        float, typer.Option(help="Allowed drop of a gated metric against the baseline.")
    ] = DEFAULT_TOLERANCE,
    ablation: Annotated[
        bool, typer.Option(help="Also compare BM25, dense, hybrid and LangChain's recipe.")
    ] = False,
    update_baseline: Annotated[
        bool, typer.Option(help="Write these results as the new baseline (--baseline FILE).")
    ] = False,
) -> None:
    """Evaluate retrieval, answers and citation lookup on the gold set; exit 1 on regression.

    Exit 1 when a hard floor (`min`/`max` in the floors file) fails or a gated metric drops
    more than the tolerance against --baseline; `target` entries are printed, never fatal.
    """
    settings = _settings(config)
    if ablation and against:
        raise EvalError("--ablation needs the index itself; run it without --against")
    if update_baseline and baseline is None:
        raise EvalError("--update-baseline needs --baseline FILE (e.g. eval/baseline.json)")
    gold_set = load_gold(gold)
    floor_table = load_floors(floors)
    previous = load_baseline(baseline) if baseline and baseline.exists() else None
    if baseline and previous is None and not update_baseline:
        raise EvalError(f"baseline {baseline} not found; create it with --update-baseline")
    started = time.perf_counter()
    with _client(settings, against) as client:
        record = run(client, gold_set)
    table = run_ablation(settings, gold_set) if ablation else None
    results = build_results(
        record,
        gold_set,
        target=against or "in-process",
        settings=settings,
        floors=floor_table,
        baseline=previous,
        tolerance=tolerance,
        ablation=table,
    )
    write_json(out / RESULTS_FILE, results)
    write_report(out / REPORT_FILE, results)
    _print_summary(results, out, seconds=time.perf_counter() - started)
    if update_baseline and baseline is not None:
        write_baseline(baseline, results)
        typer.echo(f"baseline written to {baseline}")
    elif not results["gate"]["passed"]:
        raise typer.Exit(EXIT_REGRESSION)


def _settings(config: Path | None) -> Settings:
    if config is None:
        return Settings()
    if not config.is_file():
        raise EvalError(f"--config {config} not found; pass a .env file of MINUSMA_* settings")
    return Settings(_env_file=config)  # type: ignore[call-arg]


def _client(settings: Settings, against: str | None) -> AbstractContextManager[ServiceClient]:
    return remote(against, settings=settings) if against else in_process(settings)


def _print_summary(results: dict[str, Any], out: Path, *, seconds: float) -> None:
    metrics = results["metrics"]
    for group in HEADLINE_GROUPS:
        key = f"retrieval/{group}"
        if f"{key}/n" not in metrics:
            continue
        scores = " ".join(f"{m}={metrics[f'{key}/{m}']:.3f}" for m in SUMMARY_METRICS)
        typer.echo(f"{group:<26} n={int(metrics[f'{key}/n']):<4} {scores}")
    for key in sorted(k for k in metrics if k.startswith(("answers/", "cite/")) and "=" not in k):
        if not _is_count(key):
            typer.echo(f"{key:<34} {metrics[key]:.3f}")
    for name, lat in results["latency_ms"].items():
        typer.echo(f"latency {name:<8} p50={lat['p50']:.1f} ms p95={lat['p95']:.1f} ms")
    if results.get("ablation"):
        typer.echo(markdown_table(results["ablation"]))
    if results.get("flips") is not None:
        typer.echo(f"flips since baseline: {len(results['flips'])}")
    for target in results["gate"].get("targets", []):
        status = "met" if target["passed"] else "unmet"
        sign = "<=" if target["kind"] == "target-max" else ">="
        typer.echo(
            f"target {status:<5} {target['metric']}: {_num(target['value'])} "
            f"(target {sign} {_num(target['limit'])}; informational)"
        )
    for check in results["gate"]["checks"]:
        if not check["passed"]:
            typer.echo(
                f"REGRESSION {check['metric']}: {_num(check['value'])} "
                f"vs {check['kind']} {_num(check['limit'])}"
            )
    status = "passed" if results["gate"]["passed"] else "FAILED"
    typer.echo(f"gate {status}; {out / RESULTS_FILE}, {out / REPORT_FILE} ({seconds:.1f} s)")


def _is_count(key: str) -> bool:
    return key.split("/")[-1].startswith("n_") or key in {"cite/n", "answers/quotes"}


def _num(value: float | None) -> str:
    return "missing" if value is None else f"{value:.4f}"
