"""Scoring and the HTML report on a small hand-made run record."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from eval.errors import EvalError
from eval.gold import load_gold
from eval.report import render_report
from eval.results import build_results
from eval.runner import ClaimResult, QuestionResult, Retrieved, RunRecord, retrieval_scores
from eval.scoring import groups, summarize
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
    assert m["retrieval/all/success@5"] == pytest.approx(2 / 3)
    assert m["retrieval/all/evidence_recall@5"] == pytest.approx(2 / 3)
    assert m["retrieval/all/success@1"] == pytest.approx(1 / 3)
    assert m["retrieval/all/mrr@10"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert m["retrieval/lang=nl,kind=paraphrase/success@1"] == 0.0
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
        floors={"retrieval/all/success@5": {"min": 0.9}},
        baseline=None,
        tolerance=0.02,
    )
    assert results["gate"]["passed"] is False
    html = render_report(results)
    assert html.count("data:image/png;base64,") >= 4  # two curves, kinds, latency
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


def test_targets_show_as_unmet_without_failing(record: RunRecord) -> None:
    results = build_results(
        record,
        load_gold(FIXTURE_GOLD),
        target="in-process",
        settings=Settings(),
        floors={"retrieval/all/success@5": {"target": 0.95}, "answers/quotes_verbatim": {"min": 1}},
        baseline=None,
        tolerance=0.02,
    )
    assert results["gate"]["passed"] is True
    assert [(t["metric"], t["passed"]) for t in results["gate"]["targets"]] == [
        ("retrieval/all/success@5", False)
    ]
    html = render_report(results)
    assert "Targets (informational" in html and "unmet" in html


def test_an_alternate_passage_counts_for_success_not_evidence_recall() -> None:
    # two evidence strings (indices 0, 1) and one `also` string (index 2)
    retrieved = (
        Retrieved("p1", "8", 1.0, (2,)),
        Retrieved("p2", "4.2.1", 0.9, ()),
        Retrieved("p3", "4.2.1", 0.8, (0,)),
    )
    scores = retrieval_scores(retrieved, 2, 2)
    assert scores["success@1"] == 1.0 and scores["mrr@10"] == 1.0
    assert scores["evidence_recall@1"] == 0.0
    assert scores["evidence_recall@3"] == 0.5
    assert scores["ndcg@10"] == pytest.approx((1 + 1 / 2) / (1 + 1 / 1.5849625007211563))


def test_questions_are_also_grouped_by_the_value_they_ask_for() -> None:
    @dataclass(frozen=True)
    class Asked:
        lang: str
        kind: str
        question: str

    asked = [
        Asked("nl", "fact", "Hoeveel militairen werden ingezet?"),
        Asked("en", "paraphrase", "How many helicopters were sent?"),
        Asked("nl", "fact", "Wanneer begon de missie?"),
        Asked("nl", "why", "Waarom vertrokken de helikopters?"),
    ]
    grouped = groups(asked)
    assert grouped["type=count"] == asked[:2]
    assert grouped["type=date"] == [asked[2]]
    assert "type=any" not in grouped and "type=name" not in grouped
