"""Run the gold set through the service's HTTP API and record what came back, per item.

The runner only asks and records; eval/scoring.py turns the records into metrics. Calls
are sequential and in gold order, so two runs on the same index give the same records
(latencies aside).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from eval.client import ServiceClient
from eval.gold import Gold, GoldClaim, GoldQuestion
from eval.metrics import evidence_recall_at_k, ndcg_at_k, reciprocal_rank, success_at_k
from eval.normalize import normalize
from eval.relevance import EvidenceSet

SEARCH_K = 10
ASK_K = 5
CITE_K = 3
CURVE_KS = tuple(range(1, SEARCH_K + 1))


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One ranked search result, with the gold strings it covers.

    `covered` indexes evidence then `also` (GoldQuestion.relevant_set): any index makes the
    passage relevant; only indices below the evidence count go into evidence recall.
    """

    passage_id: str
    section: str
    score: float
    covered: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """What the service did with one gold question."""

    id: str
    question: str
    lang: str
    kind: str
    answerable: bool
    gold_sections: tuple[str, ...]
    retrieved: tuple[Retrieved, ...]
    n_relevant: int  # passages of the whole corpus that cover some evidence or `also` string
    scores: dict[str, float]  # retrieval metrics; empty for unanswerable questions
    abstained: bool
    answer: str
    answer_sections: tuple[str, ...]
    answer_ok: bool | None  # answer/quotes hold evidence or `also`; None if unanswerable
    quotes: int
    quotes_verbatim: int

    @property
    def first_rank(self) -> int | None:
        """Rank of the first relevant passage in the search results, if any."""
        return next((i for i, r in enumerate(self.retrieved, start=1) if r.covered), None)


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """What `/api/cite` said about one gold claim."""

    id: str
    kind: str
    lang: str
    expected_verdict: str
    verdict: str
    matches: tuple[str, ...]  # passage ids, best first
    support_top3: bool | None  # a match covers the evidence; None for unsupported claims


@dataclass(slots=True)
class RunRecord:
    """Everything one run observed: per-item results, latencies, and what was evaluated."""

    questions: list[QuestionResult]
    claims: list[ClaimResult]
    latency_ms: dict[str, list[float]]
    health: dict[str, Any]
    corpus_sha256: str
    corpus_passages: int
    unmatched_evidence: list[str] = field(default_factory=list)  # "q012#1": in no passage


@dataclass(frozen=True, slots=True)
class Corpus:
    """Every passage text by id, fetched over the API (for n_relevant and quote checks)."""

    texts: dict[str, str]
    normalised: dict[str, str]
    sha256: str


def run(client: ServiceClient, gold: Gold) -> RunRecord:
    """Ask every gold question and claim; return the records of the run."""
    health = client.health()
    corpus = fetch_corpus(client)
    questions = [evaluate_question(client, q, corpus) for q in gold.questions]
    claims = [evaluate_claim(client, c, corpus) for c in gold.claims]
    return RunRecord(
        questions=questions,
        claims=claims,
        latency_ms={name: list(values) for name, values in sorted(client.latency_ms.items())},
        health=health,
        corpus_sha256=corpus.sha256,
        corpus_passages=len(corpus.texts),
        unmatched_evidence=unmatched_evidence(gold, corpus),
    )


def fetch_corpus(client: ServiceClient) -> Corpus:
    """All passages in document order; the hash fingerprints the index's content."""
    texts = {pid: client.passage(pid)["text"] for pid in client.passage_ids()}
    digest = hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()
    return Corpus(texts, {pid: normalize(t) for pid, t in texts.items()}, digest)


def count_relevant(evidence: EvidenceSet, corpus: Corpus) -> int:
    """How many passages of the corpus cover at least one of the given strings."""
    return sum(1 for text in corpus.normalised.values() if evidence.covered_by_normalised(text))


def unmatched_evidence(gold: Gold, corpus: Corpus) -> list[str]:
    """Evidence no passage covers: ingest lost or garbled that text (or the gold is wrong).

    Named `q012#2` (second evidence string) or `q012#also1` (first `also` string).
    """
    missing = []
    items: list[GoldQuestion | GoldClaim] = [*gold.questions, *gold.claims]
    for item in items:
        also = item.also if isinstance(item, GoldQuestion) else ()
        strings = EvidenceSet.of((*item.evidence, *also))
        found: set[int] = set()
        for text in corpus.normalised.values():
            found |= strings.covered_by_normalised(text)
        names = [f"#{i + 1}" for i in range(len(item.evidence))]
        names += [f"#also{i + 1}" for i in range(len(also))]
        missing += [f"{item.id}{name}" for i, name in enumerate(names) if i not in found]
    return missing


def retrieval_scores(
    retrieved: tuple[Retrieved, ...], n_evidence: int, n_relevant: int
) -> dict[str, float]:
    """success@1..10, evidence_recall@1..10, MRR@10 and nDCG@10 of one ranked list.

    A result is relevant when it covers any evidence or `also` string; evidence recall
    counts only the first `n_evidence` indices (the evidence proper).
    """
    relevant = [bool(r.covered) for r in retrieved]
    covered = [frozenset(r.covered) for r in retrieved]
    scores = {f"success@{k}": success_at_k(relevant, k) for k in CURVE_KS}
    scores |= {
        f"evidence_recall@{k}": evidence_recall_at_k(covered, n_evidence, k) for k in CURVE_KS
    }
    scores["mrr@10"] = reciprocal_rank(relevant, 10)
    scores["ndcg@10"] = ndcg_at_k(relevant, max(n_relevant, sum(relevant[:10])), 10)
    return scores


def evaluate_question(client: ServiceClient, gold: GoldQuestion, corpus: Corpus) -> QuestionResult:
    """Search and ask one question; score what came back against evidence and `also`."""
    evidence = gold.relevant_set
    hits = client.search(gold.question, top_k=SEARCH_K)["results"]
    retrieved = tuple(
        Retrieved(
            h["passage_id"],
            h["section"],
            round(float(h["score"]), 6),
            tuple(sorted(evidence.covered_by(h["text"]))),
        )
        for h in hits
    )
    n_relevant = count_relevant(evidence, corpus) if gold.answerable else 0
    scores = retrieval_scores(retrieved, len(gold.evidence), n_relevant) if gold.answerable else {}
    answer = client.ask(gold.question, top_k=ASK_K)
    citations = answer.get("citations", [])
    quotes = [c["quote"] for c in citations]
    verbatim = sum(c["quote"] in corpus.texts.get(c["passage_id"], "") for c in citations)
    abstained = not answer["grounded"]
    answer_text = " ".join([answer["answer"], *quotes])
    return QuestionResult(
        id=gold.id,
        question=gold.question,
        lang=gold.lang,
        kind=gold.kind,
        answerable=gold.answerable,
        gold_sections=gold.sections,
        retrieved=retrieved,
        n_relevant=n_relevant,
        scores=scores,
        abstained=abstained,
        answer=answer["answer"],
        answer_sections=tuple(c["section"] for c in citations),
        answer_ok=(not abstained and evidence.found_in_answer(answer_text))
        if gold.answerable
        else None,
        quotes=len(quotes),
        quotes_verbatim=verbatim,
    )


def evaluate_claim(client: ServiceClient, gold: GoldClaim, corpus: Corpus) -> ClaimResult:
    """Look one claim up; did a top-3 match cover its evidence, and is the verdict right?"""
    response = client.cite(gold.claim, top_k=CITE_K)
    matches = tuple(m["passage_id"] for m in response["matches"])
    evidence = EvidenceSet.of(gold.evidence)
    support = None
    if gold.supported:
        support = any(
            evidence.covered_by_normalised(corpus.normalised.get(pid, ""))
            for pid in matches[:CITE_K]
        )
    return ClaimResult(
        id=gold.id,
        kind=gold.kind,
        lang=gold.lang,
        expected_verdict=gold.expected_verdict,
        verdict=response["verdict"],
        matches=matches,
        support_top3=support,
    )


def record_to_dict(record: RunRecord) -> dict[str, Any]:
    """JSON-ready per-item records (the `questions` and `claims` parts of results.json)."""
    return {
        "questions": [{**asdict(q), "first_rank": q.first_rank} for q in record.questions],
        "claims": [asdict(c) for c in record.claims],
    }
