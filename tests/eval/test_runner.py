"""The runner end to end: the real app on a small real index, over HTTP (TestClient)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import _register_all, app
from eval.client import in_process
from eval.gate import load_floors
from eval.gold import load_gold
from eval.results import build_results
from eval.runner import run
from service.settings import Settings
from tests.eval.conftest import FIXTURE_GOLD

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_runs(small_settings: Settings) -> list[dict]:
    gold = load_gold(FIXTURE_GOLD)
    results = []
    for _ in range(2):
        with in_process(small_settings) as client:
            record = run(client, gold)
        results.append(
            build_results(
                record,
                gold,
                target="in-process",
                settings=small_settings,
                floors=load_floors(),
                baseline=None,
                tolerance=0.02,
            )
        )
    return results


def test_two_runs_give_identical_metrics(two_runs: list[dict]) -> None:
    first, second = two_runs
    assert first["metrics"] == second["metrics"]
    assert (
        first["fingerprint"]["index"]["corpus_sha256"]
        == second["fingerprint"]["index"]["corpus_sha256"]
    )
    assert [q["retrieved"] for q in first["questions"]] == [
        q["retrieved"] for q in second["questions"]
    ]


def test_every_item_is_scored(two_runs: list[dict]) -> None:
    results = two_runs[0]
    gold = load_gold(FIXTURE_GOLD)
    metrics = results["metrics"]
    answerable = [q for q in gold.questions if q.answerable]
    assert metrics["retrieval/all/n"] == len(answerable)
    assert metrics["cite/n"] == len(gold.claims)
    assert results["fingerprint"]["index"]["passages"] == 15
    assert results["unmatched_evidence"] == []  # every fixture evidence is in some passage
    for key, value in metrics.items():
        if not key.endswith("/n") and "/n_" not in key and key != "answers/quotes":
            assert 0.0 <= value <= 1.0, key
    for q in results["questions"]:
        assert (q["n_relevant"] >= 1) == q["answerable"], q["id"]
        assert len(q["retrieved"]) <= 10
    assert set(results["latency_ms"]) == {"search", "ask", "cite"}


def test_quotes_are_checked_against_passages(two_runs: list[dict]) -> None:
    questions = two_runs[0]["questions"]
    assert sum(q["quotes"] for q in questions) > 0
    assert all(0 <= q["quotes_verbatim"] <= q["quotes"] for q in questions)


def test_cli_writes_results_and_gates_on_baseline(
    small_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINUSMA_INDEX_DIR", str(small_settings.index_dir))
    monkeypatch.setenv("MINUSMA_CACHE_DIR", str(small_settings.cache_dir))
    monkeypatch.setenv("MINUSMA_EMBEDDING_MODEL", small_settings.embedding_model)
    _register_all()
    runner = CliRunner()
    no_floors = tmp_path / "floors.json"
    no_floors.write_text("{}")
    baseline = tmp_path / "baseline.json"
    common = ["eval", "--gold", str(FIXTURE_GOLD), "--floors", str(no_floors), "--out"]

    first = runner.invoke(
        app, [*common, str(tmp_path / "a"), "--baseline", str(baseline), "--update-baseline"]
    )
    assert first.exit_code == 0, first.output
    assert json.loads(baseline.read_text())["metrics"]
    html = (tmp_path / "a" / "report.html").read_text()
    assert (
        "data:image/png;base64," in html
        and "<script" not in html
        and "http" not in html.split("<body>")[0]
    )

    second = runner.invoke(app, [*common, str(tmp_path / "b"), "--baseline", str(baseline)])
    assert second.exit_code == 0, second.output
    assert json.loads((tmp_path / "b" / "results.json").read_text())["flips"] == []

    impossible = tmp_path / "impossible.json"
    impossible.write_text(
        json.dumps(
            {
                "retrieval/all/success@5": {"min": 1.01},
                "retrieval/all/mrr@10": {"target": 1.01, "source": "a goal, not a floor"},
            }
        )
    )
    third = runner.invoke(
        app,
        [
            "eval",
            "--gold",
            str(FIXTURE_GOLD),
            "--floors",
            str(impossible),
            "--out",
            str(tmp_path / "c"),
        ],
    )
    assert third.exit_code == 1
    assert "REGRESSION retrieval/all/success@5" in third.output
    assert "target unmet retrieval/all/mrr@10" in third.output

    only_target = tmp_path / "target.json"
    only_target.write_text(json.dumps({"retrieval/all/mrr@10": {"target": 1.01}}))
    fourth = runner.invoke(
        app,
        ["eval", "--gold", str(FIXTURE_GOLD), "--floors", str(only_target), "--out"]
        + [str(tmp_path / "d")],
    )
    assert fourth.exit_code == 0, fourth.output  # an unmet target never fails the run
    assert "target unmet retrieval/all/mrr@10" in fourth.output
