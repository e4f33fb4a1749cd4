"""Cross-validated study of the answerer's sentence selection (issue 4).

For every answerable gold question the shipped retrieval and candidate sentences are
computed once; each candidate gets the features the scorer already has (cosine, term
coverage, passage rank, position, length, answer-type fit, signpost, ...). A sentence is
labelled positive when it overlaps a gold evidence string (the evaluation's own test).
A logistic-regression sentence ranker is fitted on 4 folds and measured on the 5th: its
held-out evidence-in-answer rate next to the shipped ranking's on the same folds.

    PYTHONPATH=. HF_HUB_OFFLINE=1 .venv/bin/python bench/select_cv.py [--shuffles 3]

Written against the answerer before issue 14 (it reads `leans_back` and the passage caps,
which bench/answer_ablation.py showed do not help with e5 and which went): run it on a
checkout from before that change.

Result (onnx-int8 index, 5 folds x 3 shuffles, 2026-11-28; ~4 min on 2 cores): shipped
0.740 (full set 0.739; a gold sentence is among the candidates for 0.831). Learned
rankers are BETTER sentence rankers held out (listwise: MRR of the first gold sentence
0.609 vs 0.597, gold in the top 4 0.83 vs 0.79) but give WORSE answers (pointwise
0.667-0.677, listwise 0.672-0.686, lead chooser trained on the assembled answer 0.702):
the assembly (the lead brings its neighbour, <= 3 passages x 2 sentences) is tuned to
the shipped score. Shipped score + alpha x logit and an MMR order pick alpha = mu = 0 in
every fold (0.740); one feature added to the score 0.719; other passage/sentence caps
are all below the shipped 3 x 2 on the full set. Nothing was integrated.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from eval.gold import load_gold  # noqa: E402
from eval.relevance import EvidenceSet  # noqa: E402
from service import answer as A  # noqa: E402
from service.engine import build_engine  # noqa: E402
from service.evidence import ScoredSentence  # noqa: E402
from service.settings import Settings  # noqa: E402


@dataclass
class Item:
    qid: str
    question: str
    evidence: EvidenceSet
    abstains: bool
    ranked: list[ScoredSentence]  # shipped ranking (rank_for_question)
    base_score: list[float]  # score before the answer-type bonus, aligned with `ranked`
    features: np.ndarray  # one row per ranked sentence
    labels: np.ndarray
    lead_ok: np.ndarray  # filled by main(): the answer with this sentence as lead holds evidence
    follow: Callable[[ScoredSentence], ScoredSentence | None]


def features_of(
    question: str, ranked: Sequence[ScoredSentence], base: Sequence[float], retrieved: set[str]
) -> np.ndarray:
    """Per-sentence features, some relative to the question's best candidate."""
    dense = np.array([s.dense for s in ranked])
    lexical = np.array([s.lexical for s in ranked])
    score = np.array([s.score for s in ranked])
    rows = []
    passage_best: dict[str, float] = {}
    for s in ranked:
        passage_best.setdefault(s.passage.passage_id, s.score)
    for i, s in enumerate(ranked):
        text = s.sentence.text
        n_sent = sum(1 for o in ranked if o.passage.passage_id == s.passage.passage_id)
        rows.append(
            [
                s.score,
                s.score - score.max(),
                s.dense,
                s.dense - dense.max(),
                s.lexical,
                s.lexical - lexical.max(),
                1.0 / s.rank,
                float(s.position == 0),
                s.position / max(n_sent - 1, 1),
                np.log(len(text)),
                float(s.score - base[i] > 1e-9),  # answer-type fit
                float(A.is_signpost(text)),
                float(A.can_answer(text)),
                float(s.passage.passage_id not in retrieved),
                float(A.leans_back(text)),
                float(A.announces(text)),
                s.score - passage_best[s.passage.passage_id],
                float(any(ch.isdigit() for ch in text)),
            ]
        )
    return np.array(rows)


def collect(settings: Settings) -> list[Item]:
    engine = build_engine(settings)
    ans = engine.answerer
    gold = load_gold()
    items = []
    for q in gold.questions:
        if not q.answerable:
            continue
        retrieval = ans.retrieve(q.question, top_k=5)
        cands = ans.candidates_for(q.question, retrieval)
        base_by_key = {(s.passage.passage_id, s.position): s.score for s in cands}
        ranked = A.rank_for_question(q.question, cands, constraints=retrieval.constraints)
        base = [base_by_key[(s.passage.passage_id, s.position)] for s in ranked]
        retrieved = {s.passage.passage_id for s in retrieval.scored}
        evidence = q.relevant_set
        labels = np.array([float(evidence.found_in_answer(s.sentence.text)) for s in ranked])

        def follow(s: ScoredSentence, r: A.Retrieval = retrieval) -> ScoredSentence | None:
            return ans.first_of_next_passage(s, r)

        items.append(
            Item(
                q.id,
                q.question,
                evidence,
                ans.abstains(retrieval),
                ranked,
                base,
                features_of(q.question, ranked, base, retrieved),
                labels,
                np.zeros(len(ranked)),
                follow,
            )
        )
    return items


def answer_ok(item: Item, order: Sequence[ScoredSentence], *, max_sentences: int = 4) -> bool:
    if item.abstains:
        return False
    chosen = A.select_sentences(order, max_sentences=max_sentences, follow=item.follow)
    text, citations = A.compose(A.merge_adjacent(chosen))
    if not citations:
        return False
    return item.evidence.found_in_answer(" ".join([text, *(c.quote for c in citations)]))


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, iters: int = 50) -> np.ndarray:
    """Newton's method for L2-regularised logistic regression; returns [bias, *weights]."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(xb.shape[1])
    reg = np.full(xb.shape[1], l2)
    reg[0] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + reg * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def fit_listwise(
    items: Sequence[Item], cols: list[int], *, l2: float, labels: str = "labels"
) -> Model:
    """Softmax over each question's candidates; maximise the probability of its positives."""
    from scipy.optimize import minimize

    kept = [it for it in items if getattr(it, labels).any()]
    xs = [it.features[:, cols] for it in kept]
    ys = [getattr(it, labels) for it in kept]
    allx = np.vstack(xs)
    mean, std = allx.mean(0), allx.std(0) + 1e-9
    zs = [(x - mean) / std for x in xs]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.5 * l2 * float(w @ w), l2 * w
        for z, y in zip(zs, ys, strict=True):
            s = z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            pos = p * y
            total -= float(np.log(pos.sum()))
            grad = grad - ((pos / pos.sum()) @ z - p @ z)
        return total, grad

    w = minimize(loss, np.zeros(len(cols)), jac=True, method="L-BFGS-B").x
    return Model(mean, std, np.concatenate([[0.0], w]), cols)


@dataclass
class Model:
    mean: np.ndarray
    std: np.ndarray
    w: np.ndarray
    cols: list[int]

    def score(self, x: np.ndarray) -> np.ndarray:
        z = (x[:, self.cols] - self.mean) / self.std
        return self.w[0] + z @ self.w[1:]


def train(items: Sequence[Item], cols: list[int], *, l2: float) -> Model:
    x = np.vstack([it.features for it in items])[:, cols]
    y = np.concatenate([it.labels for it in items])
    mean, std = x.mean(0), x.std(0) + 1e-9
    return Model(mean, std, fit_logistic((x - mean) / std, y, l2=l2), cols)


def reorder(item: Item, model: Model) -> list[ScoredSentence]:
    scores = model.score(item.features)
    order = np.argsort(-scores, kind="stable")
    return [item.ranked[i] for i in order]


def folds(n: int, k: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.array_split(rng.permutation(n), k)


def cv(
    items: list[Item], method: Callable[[list[Item], list[Item]], list[bool]], *, shuffles: int
) -> tuple[float, list[float]]:
    rates = []
    for seed in range(shuffles):
        for test in folds(len(items), 5, seed):
            test_set = set(test.tolist())
            tr = [it for i, it in enumerate(items) if i not in test_set]
            te = [items[i] for i in sorted(test_set)]
            oks = method(tr, te)
            rates.append(sum(oks) / len(oks))
    return float(np.mean(rates)), rates


def by_score(item: Item, extra: np.ndarray) -> list[ScoredSentence]:
    """The candidates ordered by the shipped score plus `extra` (one value per sentence)."""
    scores = np.array([s.score for s in item.ranked]) + extra
    return [item.ranked[i] for i in np.argsort(-scores, kind="stable")]


def mmr(item: Item, mu: float, *, depth: int = 8) -> list[ScoredSentence]:
    """Maximal-marginal-relevance order: score minus mu x the cosine to those already picked."""
    rest: list[ScoredSentence] = list(item.ranked)
    out: list[ScoredSentence] = []
    while rest and len(out) < depth:
        vectors = np.array([o.vector for o in out]) if out else None
        best = max(
            rest,
            key=lambda s: s.score - (mu * float((vectors @ s.vector).max()) if out else 0.0),
        )
        out.append(best)
        rest.remove(best)
    return out + rest


def rate(items: Sequence[Item], order: Callable[[Item], list[ScoredSentence]]) -> int:
    return sum(answer_ok(it, order(it)) for it in items)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shuffles", type=int, default=3)
    args = parser.parse_args()
    items = collect(Settings())
    n = len(items)
    print(f"answerable {n}; shipped evidence rate {rate(items, lambda it: it.ranked) / n:.3f}")
    print(f"abstaining answerable {sum(it.abstains for it in items)}")
    reachable = sum(bool(it.labels.any()) and not it.abstains for it in items)
    print(f"gold sentence among the candidates: {reachable / n:.3f}")

    def report(name: str, method: Callable[[list[Item], list[Item]], list[bool]]) -> None:
        mean, rates = cv(items, method, shuffles=args.shuffles)
        print(f"{name}: CV {mean:.3f} (folds {min(rates):.3f}-{max(rates):.3f})", flush=True)

    report("shipped", lambda _tr, te: [answer_ok(it, it.ranked) for it in te])
    cols = list(range(items[0].features.shape[1]))
    for l2 in (1.0, 10.0):

        def pointwise(tr: list[Item], te: list[Item], l2: float = l2) -> list[bool]:
            model = train(tr, cols, l2=l2)
            return [answer_ok(it, reorder(it, model)) for it in te]

        def listwise(tr: list[Item], te: list[Item], l2: float = l2) -> list[bool]:
            model = fit_listwise(tr, cols, l2=l2)
            return [answer_ok(it, reorder(it, model)) for it in te]

        report(f"logistic ranker (pointwise, l2={l2})", pointwise)
        report(f"softmax ranker (listwise, l2={l2})", listwise)

    def hybrid(tr: list[Item], te: list[Item]) -> list[bool]:
        model = fit_listwise(tr, cols, l2=3.0)
        alpha = max(
            (0.0, 0.02, 0.05, 0.1, 0.2),
            key=lambda a: (rate(tr, lambda it: by_score(it, a * model.score(it.features))), -a),
        )
        return [answer_ok(it, by_score(it, alpha * model.score(it.features))) for it in te]

    report("shipped score + alpha x listwise logit (alpha picked on the 4 folds)", hybrid)
    mus = (0.0, 0.1, 0.2, 0.3, 0.5, 0.8)

    def diverse(tr: list[Item], te: list[Item]) -> list[bool]:
        mu = max(mus, key=lambda m: (rate(tr, lambda it: mmr(it, m)), -m))
        return [answer_ok(it, mmr(it, mu)) for it in te]

    report("MMR order (mu picked on the 4 folds)", diverse)
    spread = np.vstack([it.features for it in items]).std(0) + 1e-9
    steps = (-0.2, -0.1, -0.05, 0.0, 0.05, 0.1, 0.2)

    def one_feature(tr: list[Item], te: list[Item]) -> list[bool]:
        f, w = max(
            ((f, w) for f in cols for w in steps),
            key=lambda fw: (
                rate(tr, lambda it: by_score(it, fw[1] / spread[fw[0]] * it.features[:, fw[0]])),
                -abs(fw[1]),
            ),
        )
        return [answer_ok(it, by_score(it, w / spread[f] * it.features[:, f])) for it in te]

    def with_lead(item: Item, i: int) -> list[ScoredSentence]:
        return [item.ranked[i], *(s for j, s in enumerate(item.ranked) if j != i)]

    for it in items:  # label: the answer assembled with this sentence as lead holds evidence
        it.lead_ok = np.array(
            [
                float(A.can_answer(s.sentence.text) and answer_ok(it, with_lead(it, i)))
                for i, s in enumerate(it.ranked)
            ]
        )
    print(f"oracle lead choice: {np.mean([it.lead_ok.any() for it in items]):.3f}")

    def lead_choice(tr: list[Item], te: list[Item]) -> list[bool]:
        model = fit_listwise(tr, cols, l2=100.0, labels="lead_ok")
        out = []
        for it in te:
            scores = model.score(it.features)
            scores[[not A.can_answer(s.sentence.text) for s in it.ranked]] = -np.inf
            out.append(answer_ok(it, with_lead(it, int(np.argmax(scores)))))
        return out

    report("softmax lead chooser (label: assembled answer holds evidence)", lead_choice)
    report("one feature added to the score (feature and weight picked on the 4 folds)", one_feature)
    shipped = (A.PASSAGES_PER_ANSWER, A.SENTENCES_PER_PASSAGE)
    for ppa in (2, 3, 4):
        for spp in (1, 2, 3):
            A.PASSAGES_PER_ANSWER, A.SENTENCES_PER_PASSAGE = ppa, spp
            r = rate(items, lambda it: it.ranked) / n
            print(f"assembly passages={ppa} per-passage={spp}: full set {r:.3f}")
    A.PASSAGES_PER_ANSWER, A.SENTENCES_PER_PASSAGE = shipped


if __name__ == "__main__":
    main()
