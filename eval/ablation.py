"""Retrieval ablation: BM25 only, dense only, hybrid, and LangChain's default recipe.

Needs the index itself (not the HTTP API): `HybridIndex.batch_search(..., mode=...)` for
the three modes of our index, and `index.baseline.LangChainBaseline` (1000/200 character
chunks of the raw report, the same embedder, FAISS) for the recipe. Relevance is the same
evidence rule as the main run, applied to each system's own units (passages or chunks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eval.gold import Gold, GoldQuestion
from eval.metrics import mean
from eval.normalize import normalize
from eval.runner import SEARCH_K, Retrieved, retrieval_scores
from eval.scoring import HEADLINE_GROUPS, RETRIEVAL_METRICS, groups
from service.settings import Settings

SYSTEMS = ("langchain", "bm25", "dense", "hybrid")
TABLE_COLUMNS = (
    ("lang=nl", "success@5"),
    ("lang=nl", "mrr@10"),
    ("lang=nl,kind=paraphrase", "success@5"),
    ("lang=en", "success@5"),
    ("all", "success@1"),
    ("all", "ndcg@10"),
)


@dataclass(frozen=True, slots=True)
class Scored:
    """One question's retrieval scores under one system."""

    lang: str
    kind: str
    scores: dict[str, float]
    question: str = ""


def score_rankings(
    questions: Sequence[GoldQuestion], rankings: Sequence[Sequence[str]], units: Sequence[str]
) -> list[Scored]:
    """Score each question's ranked texts against its evidence and `also` strings.

    Args:
        questions: answerable gold questions.
        rankings: per question, the texts the system returned, best first.
        units: every text the system can return (to count the relevant ones).
    """
    normalised_units = [normalize(u) for u in units]
    scored = []
    for question, texts in zip(questions, rankings, strict=True):
        evidence = question.relevant_set
        retrieved = tuple(
            Retrieved(str(rank), "", 0.0, tuple(sorted(evidence.covered_by(text))))
            for rank, text in enumerate(texts, start=1)
        )
        n_relevant = sum(1 for u in normalised_units if evidence.covered_by_normalised(u))
        scores = retrieval_scores(retrieved, len(question.evidence), n_relevant)
        scored.append(Scored(question.lang, question.kind, scores, question.question))
    return scored


def summarize_system(scored: Sequence[Scored]) -> dict[str, dict[str, float]]:
    """Mean of each retrieval metric per headline group."""
    grouped = groups(scored)
    return {
        name: {
            m: round(mean(s.scores[m] for s in grouped[name]) or 0.0, 6) for m in RETRIEVAL_METRICS
        }
        for name in HEADLINE_GROUPS
        if grouped.get(name)
    }


def run_ablation(settings: Settings, gold: Gold) -> dict[str, Any]:
    """Rank every answerable gold question with each system; return per-group metrics."""
    from index.baseline import LangChainBaseline
    from service.engine import open_index

    questions = [q for q in gold.questions if q.answerable]
    texts = [q.question for q in questions]
    index = open_index(settings)
    passages = [p.text for p in index.passages]
    table: dict[str, dict[str, dict[str, float]]] = {}
    for mode in ("bm25", "dense", "hybrid"):
        hits = index.batch_search(texts, k=SEARCH_K, mode=mode)
        rankings = [[h.passage.text for h in ranked] for ranked in hits]
        table[mode] = summarize_system(score_rankings(questions, rankings, passages))
    recipe = LangChainBaseline(settings.sources, config=settings.index_config())
    rankings = [[d.page_content for d in recipe.search(t, k=SEARCH_K)] for t in texts]
    chunks = [d.page_content for d in recipe.chunks]
    table["langchain"] = summarize_system(score_rankings(questions, rankings, chunks))
    return {
        "systems": list(SYSTEMS),
        "questions": len(questions),
        "units": {"langchain": len(chunks), "index": len(passages)},
        "table": {system: table[system] for system in SYSTEMS},
    }


def markdown_table(ablation: dict[str, Any]) -> str:
    """The side-by-side table for the README (one row per system)."""
    header = "| system | " + " | ".join(f"{m} ({g})" for g, m in TABLE_COLUMNS) + " |"
    rule = "|---|" + "---|" * len(TABLE_COLUMNS)
    rows = [header, rule]
    for system in ablation["systems"]:
        values = ablation["table"][system]
        cells = [f"{values.get(g, {}).get(m, float('nan')):.3f}" for g, m in TABLE_COLUMNS]
        rows.append(f"| {system} | " + " | ".join(cells) + " |")
    return "\n".join(rows)
