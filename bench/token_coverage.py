"""Soft token coverage as the near-miss signal (issue 14), measured on the tuning questions.

Result (2026-12-03, main at 711a241, e5-small int8 index; 302 tuning questions of
bench/calibrate_abstention.py TUNING, 237 answerable / 65 near misses, 231 Dutch / 71
English; no frozen probe read; ~2.5 min on 2 shared cores, 40 s from the cache). Measured,
NOT shipped: it does not clear the bar (near-miss abstention up by >= 4 of 65 under CV at no
more false abstention).

- Today (threshold 0.1195): ranking AUC 0.920; 5-fold CV near-miss 0.708 (46/65) / false
  0.025 (6/237); Dutch 39/54 / 3/177, English 7/11 / 3/60; gold 11/13 / 2/142,
  constraint_probe 15/20 / 3/20, nearmiss_dev 20/32 / 0/35, english_probe - / 1/40.
- The signal alone (best covering of the top 10 passages), ranking AUC answerable above
  near miss: `min` (informative words, weight > 0.3) 0.692 (nl 0.712, en 0.745), `share`
  at 0.80 0.661, `soft` 0.70-0.85 0.650 (others 0.52-0.66): better than the best
  sentence's pooled cosine (0.42, README) but far below today's 0.920. Among the 248
  questions today's confidence answers, the lead candidate's passage `min` ranks the
  answerable above the 18 near misses let through at AUC 0.771 (sentence 0.736).
- As one factor of the confidence (strength x fit x signal^alpha per candidate; alpha 0.5-4,
  sentence or passage, the grids above), nested 5-fold CV: soft 46/65 / 6/237, share
  46/65 / 5/237, min 46/65 / 8/237 (best in sample: 48/65 at 7 false, i.e. +1 near miss).
- As a gate (the lead candidate's signal below a level zeroes the confidence; level 0.50-
  0.94 by 0.01, refitted per fold): min (weight > 0.6), sentence or passage: 48/65 / 7/237
  (nl 40/54 / 4/177, en 8/11 / 3/60; gold 11/13 / 3/142, nearmiss_dev 22/32 / 0/35, four of
  five folds pick level 0.70): +2 near misses for +1 false abstention; every other gate
  family 46/65 / 6-8 false.
- Two-feature logistic model (today's confidence, the lead candidate's signal; C = 1 on
  standardised features; the feature set and threshold picked per fold): 46/65 / 7/237.

Why: the near misses today lets through (18 in sample) are mostly spoken to word by word.
Half have their weakest informative word (weight > 0.6) at a best cosine of 0.78 or more in
the lead passage, about the answerable questions' lower quartile (their 1 / 5 / 25 / 50 %
quantiles: 0.710 / 0.730 / 0.792 / 0.858); three (p25, d36, d65) sit below all but one of
the 230 answerable ones today answers, the rest inside their spread, whose low end is held
by answerable questions asked in other words or in English (a token's best cosine across a
paraphrase is as low as across a missing qualifier); at the 3 % budget a level low enough
to spare them catches two or three near misses. The signal families were compared under
CV, a mild selection on it. Shipping it would also have needed the passages' token vectors
in the index: 53k tokens x 384, 82 MB as float32 (41 MB float16), next to a 2.5 MB
sentences.npy.

Signal: which part of the question does the report not speak to. The question ("query: "
prefix, as served, acronym expansions left out) and each candidate passage ("passage: "
prefix) go through the index's query encoder (e5-small, int8 ONNX, one text per run); their
last hidden states, L2-normalised, are the token vectors. A question token counts when it
lies in a word that is not an interrogative (service/question.py) and not punctuation or
the prefix; a word's coverage by a text is the mean over its tokens of each token's best
cosine with the text's tokens (a sentence's tokens are its passage's tokens whose offsets
fall inside it, so they keep their passage context), and it weighs
service/evidence.py `informativeness`. Signals of a text:

- `soft`: the weighted mean over words of min(max((coverage - lo) / (hi - lo), 0), 1);
- `share`: the weighted share of words whose coverage is at least `level`;
- `min`: the lowest word coverage.

Combined with today's confidence as one factor per candidate: confidence' = max over the
candidate sentences of strength x fit x signal(candidate)^alpha x known share (the signal
of the sentence or of its passage), or in a two-feature logistic model (today's confidence
and the signal of the best candidate). Parameters are picked inside each fold of a 5-fold
CV (seed 0, calibrate_abstention.cross_validated's folds) to maximise near-miss abstention
on the training folds at the 3 % rule's threshold (ties: fewer false abstentions), the
threshold picked on the training folds, both applied to the held-out fold.

The token vectors come from bench/late_interaction.py's TokenEncoder (one text per run and
float32 here: batching shifts the int8 graph's vectors, float16 a few AUCs' third decimal);
the passages' are cached by its cached_store under var/cache/late_interaction/
(passage-texts-*.npz), the collected questions under var/cache/token_coverage/.

    MINUSMA_INDEX_DIR=var/index HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/token_coverage.py
"""

from __future__ import annotations

import argparse
import itertools
import os
import pickle
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from abstention_ablation import BUDGET, ranking_auc  # noqa: E402
from calibrate_abstention import (  # noqa: E402
    GOLD,
    TUNING,
    Row,
    answer_all,
    cross_validated,
    load_jsonl,
    pick_threshold,
)
from late_interaction import TokenEncoder, TokenStore, cached_store  # noqa: E402

from service import coverage  # noqa: E402
from service.answer import detect_language  # noqa: E402
from service.engine import Engine, build_engine  # noqa: E402
from service.evidence import WORD_TOKEN, informativeness  # noqa: E402
from service.question import _QUESTION_WORDS  # noqa: E402
from service.settings import Settings  # noqa: E402

CACHE = ROOT / "var" / "cache" / "token_coverage"


@dataclass(frozen=True, slots=True)
class Tokens:
    """A text's token vectors (float32) and their character spans in the text, a
    word-initial token's span starting at its word, not at the space before it."""

    vectors: np.ndarray  # (n, dim) float32
    spans: np.ndarray  # (n, 2) int: start, end in the text

    def within(self, start: int, end: int) -> np.ndarray:
        keep = (self.spans[:, 0] >= start) & (self.spans[:, 1] <= end)
        return self.vectors[keep]


def text_tokens(store: TokenStore, i: int, text: str) -> Tokens:
    """The store's text `i` (`text`) as Tokens: sentencepiece's metaspace puts the space
    before a word into its first token's span, which is cut off; a token of that space
    alone is dropped."""
    rows = store.rows(i)
    spans = store.offsets[rows].astype(np.int64).reshape(-1, 2)
    spans[:, 0] += [len(text[a:b]) - len(text[a:b].lstrip()) for a, b in spans]
    keep = spans[:, 1] > spans[:, 0]
    return Tokens(store.vectors[rows][keep], spans[keep])


def question_tokens(encoder: TokenEncoder, question: str) -> Tokens:
    """The question's tokens ("query: " prefix, as served, acronym expansions left out)."""
    store = encoder.encode([question], prefix="query: ", batch=1, dtype=np.float32)
    return text_tokens(store, 0, question)


def passage_tokens(engine: Engine, encoder: TokenEncoder, cache_dir: Path) -> dict[str, Tokens]:
    """Every passage's token vectors ("passage: " prefix, its text alone; one text per run
    and float32, as this bench measured them), cached by late_interaction.cached_store."""
    passages = engine.index.passages
    texts = [p.text for p in passages]
    prefix = engine.index.manifest.passage_prefix
    store, _ = cached_store(
        encoder,
        texts,
        prefix=prefix,
        cache_dir=cache_dir,
        name="passage-texts",
        batch=1,
        dtype=np.float32,
    )
    return {p.passage_id: text_tokens(store, i, p.text) for i, p in enumerate(passages)}


@dataclass(frozen=True, slots=True)
class QuestionWords:
    """The question's informative words: each one's token vectors and weight."""

    vectors: list[np.ndarray]
    weights: np.ndarray


def question_words(question: str, tokens: Tokens) -> QuestionWords:
    """Words of `question` that are not interrogatives, with the tokens inside them."""
    vectors, weights = [], []
    for match in WORD_TOKEN.finditer(question):
        word = match.group(0)
        if word.lower() in _QUESTION_WORDS:
            continue
        inside = tokens.within(match.start(), match.end())
        if len(inside):
            vectors.append(inside)
            weights.append(informativeness(word))
    return QuestionWords(vectors, np.array(weights, dtype=np.float64))


def word_coverage(words: QuestionWords, target: np.ndarray) -> np.ndarray:
    """Each word's coverage by the target tokens: the mean of its tokens' best cosines."""
    if not len(target):
        return np.zeros(len(words.vectors))
    return np.array([float((v @ target.T).max(axis=1).mean()) for v in words.vectors])


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate sentence: its share of today's confidence and the word coverages."""

    base: float  # strength x fit, as in coverage.support
    sentence: np.ndarray  # word coverage by the sentence's tokens
    passage: np.ndarray  # ... by its passage's tokens


@dataclass(frozen=True, slots=True)
class Question:
    """What the signal needs of one tuning question."""

    row: Row
    file: str
    language: str
    known: float  # the known-word share (confidence / strength)
    weights: np.ndarray
    candidates: list[Candidate]
    best_passage: np.ndarray  # word coverage by the best covering of the top 10 passages


def collect(engine: Engine, encoder: TokenEncoder, cache_dir: Path) -> list[Question]:
    """Answer each tuning question (abstention off) and record each candidate's parts."""
    tokens_of = passage_tokens(engine, encoder, cache_dir)
    captured: dict[str, Any] = {}
    original = coverage.support

    def spy(constraints: Any, scored: Any, *, strength: Any, scorer: Any) -> Any:
        captured.update(constraints=constraints, scored=list(scored), strength=strength)
        return original(constraints, scored, strength=strength, scorer=scorer)

    out = []
    for name in TUNING:
        for q in load_jsonl(GOLD / f"{name}.jsonl"):
            with mock.patch.object(coverage, "support", spy):
                (row,) = answer_all(engine, [q])
            out.append(question_parts(engine, encoder, q, row, name, captured, tokens_of))
    return out


def question_parts(
    engine: Engine,
    encoder: TokenEncoder,
    q: dict[str, Any],
    row: Row,
    file: str,
    captured: dict[str, Any],
    tokens_of: dict[str, Tokens],
) -> Question:
    question = q["question"]
    words = question_words(question, question_tokens(encoder, question))
    strength = captured["strength"]
    candidates, best = [], 0.0
    for s in captured["scored"]:
        passage = s.passage
        base = strength(s) * coverage.fit(
            s.sentence.text,
            s.terms,
            passage.text,
            engine.scorer.passage_prefixes(passage),
            captured["constraints"],
        )
        best = max(best, base)
        ptokens = tokens_of[passage.passage_id]
        candidates.append(
            Candidate(
                base,
                word_coverage(words, ptokens.within(s.sentence.start, s.sentence.end)),
                word_coverage(words, ptokens.vectors),
            )
        )
    known = row.confidence / best if best > 0 else 1.0
    passages = {s.passage.passage_id for s in captured["scored"]}
    by_passage = [word_coverage(words, tokens_of[p].vectors) for p in passages]
    best_passage = max(by_passage, key=lambda c: soft(c, words.weights, 0.80, 0.90))
    return Question(
        row, file, detect_language(question), known, words.weights, candidates, best_passage
    )


# ---- the signals


def soft(cover: np.ndarray, weights: np.ndarray, lo: float, hi: float) -> float:
    """Weighted mean of each word's coverage scaled from lo (0) to hi (1)."""
    if not len(cover) or weights.sum() <= 0:
        return 1.0
    scaled = np.clip((cover - lo) / (hi - lo), 0.0, 1.0)
    return float((scaled * weights).sum() / weights.sum())


def share(cover: np.ndarray, weights: np.ndarray, level: float) -> float:
    """Weighted share of words covered at `level` or above."""
    if not len(cover) or weights.sum() <= 0:
        return 1.0
    return float(((cover >= level) * weights).sum() / weights.sum())


def lowest(cover: np.ndarray, weights: np.ndarray, floor: float) -> float:
    """The lowest coverage of an informative word (weight above the floor), 1 if none."""
    kept = cover[weights > floor]
    return float(kept.min()) if len(kept) else 1.0


Signal = Callable[[np.ndarray, np.ndarray], float]
SIGNALS: dict[str, list[tuple[str, Signal]]] = {
    "soft": [
        (f"lo {lo:.2f} hi {hi:.2f}", partial(soft, lo=lo, hi=hi))
        for lo, hi in itertools.product((0.70, 0.75, 0.80, 0.85), (0.85, 0.90, 0.95))
        if hi > lo + 0.04
    ],
    "share": [
        (f"level {lv:.2f}", partial(share, level=lv))
        for lv in (0.75, 0.78, 0.80, 0.82, 0.84, 0.86, 0.88, 0.90)
    ],
    "min": [(f"floor {f}", partial(lowest, floor=f)) for f in (0.3, 0.6, 0.99)],
}
ALPHAS = (0.5, 1.0, 2.0, 4.0)
TARGETS = ("sentence", "passage")


def combined(q: Question, signal: Signal, target: str, alpha: float) -> float:
    """max over candidates of base x signal(candidate)^alpha, times the known share."""
    best = 0.0
    for c in q.candidates:
        if c.base <= 0:
            continue
        value = signal(getattr(c, target), q.weights)
        best = max(best, c.base * max(value, 0.0) ** alpha)
    return best * q.known


def alone(q: Question, signal: Signal) -> float:
    """The signal of the best covering top-10 passage, alone."""
    return signal(q.best_passage, q.weights)


def with_confidence(questions: Sequence[Question], values: Iterable[float]) -> list[Row]:
    return [replace(q.row, confidence=v) for q, v in zip(questions, values, strict=True)]


# ---- cross-validation


def fold_objective(rows: list[Row]) -> tuple[float, float]:
    """In-sample near-miss abstention at the 3 % rule's threshold, then fewer false."""
    threshold = pick_threshold(rows, budget=BUDGET)
    near = [r.confidence < threshold for r in rows if not r.answerable]
    false = [r.confidence < threshold for r in rows if r.answerable]
    return sum(near) / max(len(near), 1), -sum(false) / max(len(false), 1)


def nested_cv(
    questions: Sequence[Question], variants: dict[str, list[float]], *, folds: int = 5
) -> tuple[dict[str, bool], list[str]]:
    """Abstained per question id with the variant and threshold picked on 4/5 (the folds of
    calibrate_abstention.cross_validated), and the variant each fold picked."""
    order = np.random.default_rng(0).permutation(len(questions))
    abstained: dict[str, bool] = {}
    picked = []
    for test in np.array_split(order, folds):
        held = set(test.tolist())
        train = [i for i in range(len(questions)) if i not in held]

        def rows_of(name: str, idx: Iterable[int]) -> list[Row]:
            return [replace(questions[i].row, confidence=variants[name][i]) for i in idx]

        name = max(variants, key=lambda n: fold_objective(rows_of(n, train)))
        picked.append(name)
        threshold = pick_threshold(rows_of(name, train), budget=BUDGET)
        for i in held:
            abstained[questions[i].row.id] = variants[name][i] < threshold
    return abstained, picked


def lead_signal(q: Question, signal: Signal, target: str) -> float:
    """The signal of the candidate today's confidence rests on (1 when none fits)."""
    fitting = [c for c in q.candidates if c.base > 0]
    if not fitting:
        return 1.0
    return signal(getattr(max(fitting, key=lambda c: c.base), target), q.weights)


def logistic_cv(
    questions: Sequence[Question], features: dict[str, np.ndarray], *, folds: int = 5
) -> tuple[dict[str, bool], list[str]]:
    """`nested_cv` for two-feature logistic models: each fold fits every feature set's model
    on its training questions (standardised, L2, C = 1), keeps the one whose training
    probabilities abstain on most near misses at the 3 % rule's threshold, and applies
    model and threshold to the held-out fold."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    labels = np.array([q.row.answerable for q in questions], dtype=int)
    order = np.random.default_rng(0).permutation(len(questions))
    abstained: dict[str, bool] = {}
    picked = []
    for test in np.array_split(order, folds):
        train = np.setdiff1d(np.arange(len(questions)), test)
        best: tuple[tuple[float, float], str, np.ndarray, float] | None = None
        for name, x in features.items():
            model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0))
            model.fit(x[train], labels[train])
            p = model.predict_proba(x)[:, 1]
            rows = [replace(questions[i].row, confidence=float(p[i])) for i in train]
            key = fold_objective(rows)
            if best is None or key > best[0]:
                best = (key, name, p, pick_threshold(rows, budget=BUDGET))
        assert best is not None
        _, name, p, threshold = best
        picked.append(name)
        abstained |= {questions[i].row.id: bool(p[i] < threshold) for i in test.tolist()}
    return abstained, picked


def rates(questions: Sequence[Question], abstained: dict[str, bool]) -> dict[str, str]:
    """Near-miss / false abstention overall, per language and per file (counts)."""
    groups: dict[str, list[Question]] = {"all": list(questions)}
    for q in questions:
        groups.setdefault(q.language, []).append(q)
        groups.setdefault(q.file, []).append(q)
    out = {}
    for name, members in groups.items():
        near = [abstained[q.row.id] for q in members if not q.row.answerable]
        false = [abstained[q.row.id] for q in members if q.row.answerable]
        out[name] = f"{sum(near)}/{len(near)} nm, {sum(false)}/{len(false)} false"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh", action="store_true", help="recompute the questions")
    parser.add_argument("--verbose", action="store_true", help="every variant's figures")
    args = parser.parse_args()
    settings = Settings()
    engine = build_engine(settings)
    encoder = TokenEncoder(engine.index, Path(settings.index_dir))
    path = CACHE / f"questions-{encoder.identity()[:16]}.pkl"
    if path.is_file() and not args.refresh:
        with path.open("rb") as f:
            questions: list[Question] = pickle.load(f)
    else:
        questions = collect(engine, encoder, Path(settings.cache_dir))
        CACHE.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            pickle.dump(questions, f)
    report(questions, verbose=args.verbose)


def report(questions: list[Question], *, verbose: bool = False) -> None:
    """Today's figures, each signal's AUC, then the nested-CV rates of each combination."""
    rows = [q.row for q in questions]
    today = [q.row.confidence for q in questions]
    print(f"today: AUC {ranking_auc(rows):.3f}, CV {cross_validated(rows, budget=BUDGET)}")
    print(f"today nested: {rates(questions, nested_cv(questions, {'today': today})[0])}")
    threshold = pick_threshold(rows, budget=BUDGET)
    passed = [q for q in questions if q.row.confidence >= threshold]
    for family, members in SIGNALS.items():
        for label, signal in members:
            print(f"alone {family} {label}: {signal_aucs(questions, passed, signal)}")
    for family, members in SIGNALS.items():
        variants = {"today": today}
        for (label, signal), target, alpha in itertools.product(members, TARGETS, ALPHAS):
            name = f"{family} {label} {target} a{alpha}"
            variants[name] = [combined(q, signal, target, alpha) for q in questions]
        show(f"factor {family}", questions, variants, verbose=verbose)
        for (label, signal), target in itertools.product(members, TARGETS):
            lead = [lead_signal(q, signal, target) for q in questions]
            gates = {"today": today} | {
                f"gate {level:.2f}": [c * (v >= level) for c, v in zip(today, lead, strict=True)]
                for level in np.arange(0.50, 0.95, 0.01)
            }
            show(f"gate {family} {label} {target}", questions, gates, verbose=verbose)
    confidence = np.array(today)
    features = {"today": confidence[:, None]}
    for family, members in SIGNALS.items():
        for (label, signal), target in itertools.product(members, TARGETS):
            lead_values = np.array([lead_signal(q, signal, target) for q in questions])
            features[f"{family} {label} {target}"] = np.column_stack([confidence, lead_values])
    abstained, picked = logistic_cv(questions, features)
    print(f"logistic nested CV: {rates(questions, abstained)} picked {picked}", flush=True)


def signal_aucs(questions: list[Question], passed: list[Question], signal: Signal) -> str:
    """The signal's ranking AUC alone (best covering passage; per language), and the lead
    candidate's among the questions today's confidence answers."""
    best = {
        lang: ranking_auc(
            with_confidence(
                [q for q in questions if lang in ("all", q.language)],
                [alone(q, signal) for q in questions if lang in ("all", q.language)],
            )
        )
        for lang in ("all", "nl", "en")
    }
    lead = {
        t: ranking_auc(with_confidence(passed, [lead_signal(q, signal, t) for q in passed]))
        for t in TARGETS
    }
    return (
        f"AUC {best['all']:.3f} (nl {best['nl']:.3f}, en {best['en']:.3f}); lead candidate's "
        f"among the {len(passed)} answered today: sentence {lead['sentence']:.3f}, passage "
        f"{lead['passage']:.3f}"
    )


def show(
    title: str, questions: list[Question], variants: dict[str, list[float]], *, verbose: bool
) -> None:
    """The best variant in sample and the nested-CV rates of the family."""
    in_sample = {n: fold_objective(with_confidence(questions, v)) for n, v in variants.items()}
    if verbose:
        for name, values in variants.items():
            auc = ranking_auc(with_confidence(questions, values))
            print(f"  {name}: AUC {auc:.3f}, in sample near-miss/false {in_sample[name]}")
    best = max(in_sample, key=lambda n: in_sample[n])
    near, false = in_sample[best]
    abstained, picked = nested_cv(questions, variants)
    print(
        f"{title}: in sample best {best} ({near:.3f} / {-false:.3f}); nested CV "
        f"{rates(questions, abstained)}; folds picked {picked}",
        flush=True,
    )


if __name__ == "__main__":
    main()
