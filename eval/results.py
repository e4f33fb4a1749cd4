"""Assemble one evaluation's results (metrics, gate, flips, fingerprint) and write them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from eval.gate import (
    Check,
    check_baseline,
    check_floors,
    check_to_dict,
    compact,
    flips,
)
from eval.gold import Gold
from eval.runner import RunRecord, record_to_dict
from eval.scoring import summarize
from service.settings import Settings

RESULTS_FILE = "results.json"
REPORT_FILE = "report.html"
# Settings that change what the service answers (not where it listens or its secrets).
_FINGERPRINT_EXCLUDE = {
    "host",
    "port",
    "workers",
    "api_key",
    "llm_api_key",
    "cors_origins",
    "index_dir",
    "cache_dir",
}


def settings_fingerprint(settings: Settings) -> dict[str, Any]:
    """The settings that shape answers, and their hash (secrets and bind address left out)."""
    data = settings.model_dump(mode="json", exclude=_FINGERPRINT_EXCLUDE)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return {"sha256": digest, "values": data}


def build_results(
    record: RunRecord,
    gold: Gold,
    *,
    target: str,
    settings: Settings,
    floors: dict[str, dict[str, float]],
    baseline: dict[str, Any] | None,
    tolerance: float,
    ablation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything results.json holds; `gate.passed` decides the exit code.

    `gate.checks` are the blocking checks (hard floors, baseline drops); `gate.targets` the
    issue targets, reported as met or unmet but never failing the run.
    """
    summary = summarize(record)
    items = record_to_dict(record)
    results: dict[str, Any] = {
        "fingerprint": {
            "target": target,
            "index": {
                "health": record.health,
                "corpus_sha256": record.corpus_sha256,
                "passages": record.corpus_passages,
            },
            "settings": settings_fingerprint(settings),
            "gold_sha256": gold.sha256,
        },
        **summary,
        "latency_samples_ms": {k: [round(v, 3) for v in vs] for k, vs in record.latency_ms.items()},
        "unmatched_evidence": record.unmatched_evidence,
        **items,
        "ablation": ablation,
    }
    checks: list[Check] = check_floors(summary["metrics"], floors)
    if baseline is not None:
        checks += check_baseline(summary["metrics"], baseline["metrics"], tolerance=tolerance)
    results["gate"] = {
        "passed": all(c.passed for c in checks if c.blocking),
        "tolerance": tolerance,
        "checks": [check_to_dict(c) for c in checks if c.blocking],
        "targets": [check_to_dict(c) for c in checks if not c.blocking],
    }
    results["flips"] = (
        [check_to_dict(f) for f in flips(results, baseline)] if baseline is not None else None
    )
    return results


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON with sorted keys and a trailing newline (diff-friendly, deterministic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def write_baseline(path: Path, results: dict[str, Any]) -> None:
    """Store the compact form of these results as the new baseline."""
    write_json(path, compact(results))
