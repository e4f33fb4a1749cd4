"""Scoring and the HTML report on a small hand-made run record."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eval.errors import EvalError
from eval.gold import load_gold
from eval.report import render_report
from eval.results import build_results
from eval.runner import ClaimResult, QuestionResult, Retrieved, RunRecord, retrieval_scores
from eval.scoring import summarize
from service.settings import Settings
from tests.eval.conftest import FIXTURE_GOLD


def _question(
    qid: str, *, lang: str, kind: str, ranks: list[int], ok: bool | None, abstained: bool
) -> QuestionResult:
    retrieved = tuple(
        Retrieved(f"p{i}", "4.2.1", 1.0 / i, (0,) if i in ranks else ()) for i in range(1, 11)
    )
    answerable = ok is not None
    return QuestionResult(
        id=qid,
        question=f"vraag <{qid}>",
        lang=lang,
        kind=kind,
        answerable=answerable,
        gold_sections=("4.2.1",) if answerable else (),
        retrieved=retrieved if answerable else (),
        n_relevant=len(ranks),
        scores=retrieval_scores(retrieved, 1, len(ranks)) if answerable else {},
        abstained=abstained,
        answer="antwoord",
        answer_sections=(),
        answer_ok=ok,
        quotes=1,
        quotes_verbatim=1,
    )


@pytest.fixture
def record() -> RunRecord:
    questions = [
        _question("q1", lang="nl", kind="fact", ranks=[1], ok=True, abstained=False),
        _question("q2", lang="nl", kind="paraphrase", ranks=[3], ok=False, abstained=False),
        _question("q3", lang="en", kind="why", ranks=[], ok=False, abstained=True),
        _question("q4", lang="nl", kind="unanswerable", ranks=[], ok=None, abstained=True),
    ]
    claims = [
        ClaimResult("c1", "supported_quote", "nl", "supported", "supported", ("p1",), True),
        ClaimResult("c2", "unsupported", "nl", "not_found", "partial", ("p2",), None),
    ]
    latency = {"ask": [10.0, 20.0, 30.0], "search": [5.0, 7.0], "cite": [40.0]}
    return RunRecord(questions, claims, latency, {"embedding_model": "m"}, "abc" * 20, 10)


def test_summary_hand_computed(record: RunRecord) -> None:
    m = summarize(record)["metrics"]
    assert m["retrieval/all/n"] == 3
    assert m["retrieval/all/recall@5"] == pytest.approx(2 / 3)
    assert m["retrieval/all/mrr@10"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert m["retrieval/lang=nl,kind=paraphrase/hit@1"] == 0.0
    assert m["answers/all/evidence_rate"] == pytest.approx(1 / 3)
    assert m["answers/abstention_precision"] == 0.5  # abstained on q3 (answerable) and q4
    assert m["answers/abstention_recall"] == 1.0
    assert m["answers/false_abstention_rate"] == pytest.approx(1 / 3)
    assert m["cite/support_top3"] == 1.0 and m["cite/verdict_accuracy"] == 0.5
    assert summarize(record)["latency_ms"]["ask"] == {"n": 3, "p50": 20.0, "p95": 29.0, "max": 30.0}


def test_report_is_self_contained(record: RunRecord) -> None:
    results = build_results(
        record,
        load_gold(FIXTURE_GOLD),
        target="in-process",
        settings=Settings(),
        floors={"retrieval/all/recall@5": {"min": 0.9}},
        baseline=None,
        tolerance=0.02,
    )
    assert results["gate"]["passed"] is False
    html = render_report(results)
    assert html.count("data:image/png;base64,") >= 3  # recall curve, kinds, latency
    assert not re.search(r"""(src|href)=['"]?https?:""", html)
    assert "<script" not in html
    assert "vraag &lt;q2&gt;" in html  # failures listed, text escaped
    assert "FAIL" in html and "No baseline given" in html


def test_gold_loader_names_the_bad_line(tmp_path: Path) -> None:
    (tmp_path / "questions.jsonl").write_text('{"id": "q1"}\n')
    (tmp_path / "claims.jsonl").write_text("")
    with pytest.raises(EvalError, match=r"questions.jsonl:1: missing field 'question'"):
        load_gold(tmp_path)
    with pytest.raises(EvalError, match="not found"):
        load_gold(tmp_path / "nowhere")
