"""Issues 12/14: a late-interaction (ColBERT-style MaxSim) score from e5's own token vectors.

Zero-shot: the token vectors are multilingual-e5-small's last hidden state, from the same
int8 ONNX graph and tokenizer that embed the index's passages and questions
(var/index/query_encoder.onnx; the `passage: ` / `query: ` prefixes and the passage text
`section title. text` exactly as index/build.py embeds it), L2-normalised per token, the
special tokens and the prefix's tokens dropped. MaxSim(q, d) = mean over the query's tokens
of their best cosine with one of d's tokens (optionally idf-weighted: idf of the token id
over the passages).

Token store: every passage's token vectors, float16, cached under
var/cache/late_interaction/ keyed by the graph's SHA-256, the tokenizer's, the prefix and
the texts. Passages are encoded as the build encodes them (sorted by length, batches of
16).

Measured (see the bottom of this docstring for the numbers; `--part` picks what to run):

- store: size (MB) and seconds to compute;
- retrieval, on the fusion_pool tuning pool (bench/fusion_pool.py; no frozen probe read):
  MaxSim alone vs dense alone; MaxSim as a sixth fusion signal over the hybrid's
  candidate pool (min-max like the others, weight on a grid, fitted leave-one-file-out
  and 5-fold, the other weights as shipped; and a full refit with it on the pool grid);
  MaxSim as a re-ranker of the shipped fusion's top K (K 20 / 30 / 50; alone or
  interpolated with the fused score);
- answer sentences (`--part sentences`): see bench/selection_variants.py's protocol.

    MINUSMA_INDEX_DIR=var/index HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/late_interaction.py \
        [--part store|retrieval|sentences|latency]

Results (e5 index at 711a241, 2026-12-03, 2 cores shared with other jobs, load 1.5-4.5):

Store: 653 passages, 60,040 tokens (92 a passage), 46.8 MB (float16; 92 MB as float32),
62 s to compute in a separate pass on 2 busy threads (the build's own passage pass would
give them for free if it kept the hidden states). The 1,645 sentences encoded alone: 41.8
MB, 29 s.

Retrieval (338 tuning queries: 267 nl, 71 en; translation off; R@5 in questions, pool / nl
/ en / gold nl (132) / gold en (10); MRR@10 of the pool):

| system | R@5 pool / nl / en / gold nl / gold en | pool MRR@10 |
|---|---|---|
| dense alone | 262 / 214 / 48 / 97 / 9 | 0.623 |
| MaxSim alone | 284 / 230 / 54 / 107 / 9 | 0.706 |
| MaxSim alone, idf-weighted query tokens | 294 / 236 / 58 / 112 / 9 | 0.734 |
| shipped fusion | 300 / 246 / 54 / 118 / 7 | 0.743 |
| + MaxSim (6th signal, hybrid's candidates), weight LOO | 303 / 246 / 57 / 118 / 9 | 0.748 |
| + MaxSim, weight random 5-fold | 304 / 246 / 58 / 118 / 9 | 0.750 |
| + MaxSim idf, weight leave-one-file-out / 5-fold | 303 / 246 / 57 / 118 / 9 | 0.756 / 0.757 |
| + MaxSim bringing its own top 50 too, 5-fold | 304 / 246 / 58 / 118 / 9 | 0.750 |
| + MaxSim fixed 0.5 / 1 / 2 (both langs) | 302 / 301 / 300 (nl 246 / 243 / 243) | 0.751-0.752 |
| pool refit (its grid x MaxSim weight), LOO / 5-fold | 297 / 297; idf 301 / 301 | 0.737-0.748 |
| re-rank the fused top 20/30/50 by MaxSim alone | 285-286 | 0.706-0.707 |
| re-rank: (1 - m) fused + m MaxSim, depth, m fitted, LOO / 5-fold | 304 / 303 | 0.749-0.750 |
| MaxSim idf instead of dense, pool grid refit, LOO | 304 / 247 / 57 / 119 / 9 | 0.767 |
| ... 5-fold | 305 / 247 / 58 / 119 / 9 | 0.768 |
| ... candidates from dense (weight ~0), MaxSim over them, LOO | 303 / 247 / 56 / 119 / 9 | 0.765 |
| ... 5-fold | 305 / 247 / 58 / 119 / 9 | 0.767 |
| MaxSim (no idf) instead of dense, LOO / 5-fold | 303 / 294 (5-fold nl 238) | 0.735-0.744 |

Every Dutch fold picks MaxSim weight 0 (any weight > 0.5 costs Dutch queries: 246 -> 243);
every English fold picks 1 (one picks 2). The whole gain is English: 54 -> 57-58 of 71
(gold English 7 -> 9: the two the shipped English fusion loses and dense alone finds).
MaxSim alone is far stronger than the pooled vector (+22 / +32 with idf over the pool,
Dutch gold 97 -> 112), close to the hybrid, but BM25 + n-grams already hold what its
token matching adds for Dutch. In place of the pooled dense vector, idf-weighted MaxSim
does gain in both languages: the pool grid refit (dense 0, MaxSim idf 1) picks on the
whole pool Dutch n-grams 0.5 + sentence 0.5 + MaxSim 1 (no BM25) and English sentence 0.5
+ MaxSim 1; held out +3 to +5 queries, pool MRR 0.743 -> 0.765-0.768, paraphrase R@5
0.88 -> 0.89-0.91, gold Dutch 118 -> 119 (MRR 0.744 -> 0.750), gold English 7 -> 9; by
file constraint_probe 17 -> 15 of 20, nearmiss_dev 30 -> 29-30 of 35, english_probe 30 ->
33 of 40. Scoring only the candidates the dense vector, n-grams and sentence bring (so a
service computes MaxSim for ~111 passages, not 653) loses nothing. With
MINUSMA_TRANSLATE_ENGLISH=1 (BM25 of the dictionary translation for English) the shipped
fusion already has 307 / 246 / 61 / 118 / 10 and every fold of both languages picks the
sixth signal's weight 0 (re-ranker alike): MaxSim recovers, untranslated, most of what the
translation gives English (58 vs 61). (MaxSim in place of dense was measured with the
translation off only.)

Answers (`--part answers`: the service with the fusion's dense slot scored by MaxSim idf
under the whole-pool pick, hits' dense scores, confidence and selection unchanged; 237
pooled tuning answerables, in sample for the weights): evidence 178 -> 177, gold 118 ->
118, English 34 -> 36 of 60 (Dutch 144 -> 141); by retrieval rank of the first relevant
passage, shipped 1: 131/134, 2: 24/30, 3: 8/12, 4: 7/15, 5: 4/11, >5: 4/35, with MaxSim
1: 139/144, 2: 20/28, 3: 9/19, 4: 3/9, 5: 2/6, >5: 4/31. The relevant passage reaches
rank 1 ten more times and the top 5 four more, but the answers do not follow: what MaxSim
lifts to rank 1 the answer already drew on from rank 2-5, and what it drops from rank 1
loses answers. The English sixth signal (shipped
fusion + MaxSim 1 for English questions, min-max over the candidates): evidence 177, gold
118, English 34 -> 33 of 60; by rank 1: 134/137, 2: 22/27, 3: 8/15, 4: 6/15, 5: 3/11.

Answer sentences (237 pooled tuning answerables, 5-fold CV seeds 0 / 1 / 2, a fold's pick
at most +10 % longer; shipped 178 / 178 / 178, gold 118, 727 chars; by rank 1: 131/134,
2: 24/30, 3: 8/12, 4: 7/15, 5: 4/11, >5: 4/35), MaxSim min-max over the candidates at
weight 0.05-1:

| sentence tokens | replaces the cosine | beside the cosine (0.1) |
|---|---|---|
| slice of the passage's tokens | 175 / 176 / 175 | 177 / 178 / 176 |
| slice, idf | 172 / 174 / 176 | 179 / 176 / 178 |
| sentence encoded alone | 175 / 176 / 178 | 179 / 179 / 179 |
| alone, idf | 177 / 177 / 179 | 178 / 181 / 181 |

Best in sample: alone idf beside the cosine at 0.3, tune 181, gold 118, 712 chars, by rank
1: 132/134, 2: 26/30, 3: 9/12, 4: 6/15, 5: 4/11. Sentences encoded alone beat slices of the
passage's token vectors; neither clears +3 in every seed.

Query-time cost (142 gold questions, one onnxruntime and BLAS thread, under load): the
token pass is the query pass the service already runs (p50 10.9 vs 10.7 ms: the graph's
last hidden state, before pooling), so it need not run twice; MaxSim over the fusion's
candidates (median 111 passages, ~10k tokens) p50 15.3 / p95 23.2 ms from a float16 store
(numpy widens float16 slowly: 10 ms of it), ~8 ms from a float32 one (+92 MB, RSS 494 -> ~580 MiB).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from fusion_pool import (  # noqa: E402
    BEFORE,
    NAMES,
    TOLERANCE_QUESTIONS,
    PoolQuery,
    by_language,
    collect,
    grid_rows,
    header,
    load_pool,
    pick,
    row_cells,
)
from fusion_study import Query, candidates_of, first_relevant_rank, top_positions  # noqa: E402
from retrieval_table import FOLDS  # noqa: E402

from index.build import passage_text  # noqa: E402
from index.encoders.onnx import OUTPUT_NAME, _load_session, _load_tokenizer  # noqa: E402
from index.fusion import CANDIDATES, FUSION_WEIGHTS, without_untranslated_bm25  # noqa: E402
from index.hybrid import HybridIndex  # noqa: E402
from index.layout import QUERY_ENCODER_FILE  # noqa: E402
from index.models import Hit, SearchMode  # noqa: E402

CACHE_FOLDER = "late_interaction"
BATCH = 16  # as the build embeds documents (index/embed.py)
MAX_TOKENS = 512


@dataclass(frozen=True)
class TokenStore:
    """Token vectors of many texts, concatenated: text i owns rows starts[i]:starts[i+1]."""

    vectors: np.ndarray  # (tokens, dim) float16 (or float32), L2-normalised per token
    ids: np.ndarray  # (tokens,) int32 token ids
    offsets: np.ndarray  # (tokens, 2) int32 character span in the unprefixed text
    starts: np.ndarray  # (texts + 1,) int64

    def rows(self, i: int) -> slice:
        return slice(int(self.starts[i]), int(self.starts[i + 1]))

    @property
    def megabytes(self) -> float:
        return sum(a.nbytes for a in (self.vectors, self.ids, self.offsets, self.starts)) / 1e6


class TokenEncoder:
    """The index's ONNX graph and the model's tokenizer, returning per-token vectors."""

    def __init__(self, index: HybridIndex, index_dir: Path, *, threads: int = 2) -> None:
        folder = Path(index._embedder.model_name)
        self.graph = index_dir / QUERY_ENCODER_FILE
        self.tokenizer_path = folder / "tokenizer.json"
        self._tokenizer = _load_tokenizer(self.tokenizer_path, max_length=MAX_TOKENS)
        self._session = _load_session(self.graph, threads=threads)

    def identity(self) -> str:
        digest = hashlib.sha256()
        for path in (self.graph, self.tokenizer_path):
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()

    def encode(
        self, texts: Sequence[str], *, prefix: str, batch: int = BATCH, dtype: type = np.float16
    ) -> TokenStore:
        """Token vectors of `prefix + text` for each text, prefix and special tokens
        dropped, kept as `dtype`; offsets are into the text without the prefix."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        parts: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            encodings = self._tokenizer.encode_batch([prefix + texts[i] for i in rows])
            feeds = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            }
            (hidden,) = self._session.run([OUTPUT_NAME], feeds)
            for i, e, h in zip(rows, encodings, hidden, strict=True):
                keep = [
                    t
                    for t, ((a, b), special, m) in enumerate(
                        zip(e.offsets, e.special_tokens_mask, e.attention_mask, strict=True)
                    )
                    if m and not special and b > len(prefix) and b > a
                ]
                vec = h[keep].astype(np.float32)
                vec /= np.clip(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12, None)
                offs = np.array([e.offsets[t] for t in keep], dtype=np.int32).reshape(-1, 2)
                offs = np.maximum(offs - len(prefix), 0)  # a first token's space may lie in it
                parts[i] = (vec, np.array([e.ids[t] for t in keep], np.int32), offs)
        ordered = [parts[i] for i in range(len(texts))]
        lengths = [len(p[0]) for p in ordered]
        dim = hidden.shape[-1] if texts else 0
        return TokenStore(
            vectors=np.concatenate([p[0] for p in ordered]).astype(dtype)
            if texts
            else np.zeros((0, dim), dtype),
            ids=np.concatenate([p[1] for p in ordered]),
            offsets=np.concatenate([p[2] for p in ordered]),
            starts=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        )


def cached_store(
    encoder: TokenEncoder,
    texts: Sequence[str],
    *,
    prefix: str,
    cache_dir: Path,
    name: str,
    batch: int = BATCH,
    dtype: type = np.float16,
) -> tuple[TokenStore, float]:
    """The token store of `texts`, from the cache or computed (then cached); and the
    seconds it took to compute (0 when cached... the computed time is kept in the file).
    `batch` 1 encodes one text per run: the int8 graph quantises a whole batch's
    activations with one scale, padding included, so a batched text's vectors differ from
    its own (by up to 0.04 a component on 64 passages)."""
    digest = hashlib.sha256(encoder.identity().encode())
    digest.update(prefix.encode())
    if (batch, dtype) != (BATCH, np.float16):  # the default's keys stay as they were
        digest.update(f"batch {batch} {np.dtype(dtype).name}".encode())
    for t in texts:
        digest.update(hashlib.sha256(t.encode()).digest())
    path = cache_dir / CACHE_FOLDER / f"{name}-{digest.hexdigest()[:24]}.npz"
    if path.is_file():
        data = np.load(path)
        store = TokenStore(data["vectors"], data["ids"], data["offsets"], data["starts"])
        return store, float(data["seconds"])
    started = time.perf_counter()
    store = encoder.encode(texts, prefix=prefix, batch=batch, dtype=dtype)
    seconds = time.perf_counter() - started
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, seconds=seconds, **{k: getattr(store, k) for k in TokenStore.__annotations__})
    tmp.replace(path)
    return store, seconds


def passage_store(
    index: HybridIndex, encoder: TokenEncoder, cache_dir: Path
) -> tuple[TokenStore, float]:
    """Every passage's token vectors (the text its passage vector embeds)."""
    texts = [passage_text(p) for p in index.passages]
    return cached_store(
        encoder, texts, prefix=index.manifest.passage_prefix, cache_dir=cache_dir, name="passages"
    )


def idf_of(store: TokenStore) -> np.ndarray:
    """idf per token id over the store's texts: log(1 + N / df) (0 for an unseen id: the
    floor is set by the caller)."""
    n = len(store.starts) - 1
    owner = np.repeat(np.arange(n), np.diff(store.starts))
    pairs = np.unique(np.stack([store.ids, owner], axis=1), axis=0)
    df = np.bincount(pairs[:, 0], minlength=int(store.ids.max()) + 1)
    return np.log1p(n / np.maximum(df, 1)).astype(np.float32)


def maxsim(
    store: TokenStore, query: np.ndarray, *, weights: np.ndarray | None = None
) -> np.ndarray:
    """Per text of the store, the (weighted) mean over the query's tokens of their best
    cosine with one of the text's tokens (-1 for a text without tokens)."""
    n = len(store.starts) - 1
    out = np.full(n, -1.0, dtype=np.float32)
    lengths = np.diff(store.starts)
    nonempty = np.flatnonzero(lengths > 0)
    if not len(query) or not len(nonempty):
        return out
    sims = store.vectors.astype(np.float32) @ query.T  # (tokens, query tokens)
    best = np.maximum.reduceat(sims, store.starts[nonempty], axis=0)  # (nonempty, q)
    w = np.ones(len(query), np.float32) if weights is None else weights.astype(np.float32)
    out[nonempty] = best @ w / max(float(w.sum()), 1e-12)
    return out


# ---- retrieval (the fusion_pool protocol)

SIXTH = (*NAMES, "maxsim")
MAXSIM_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)
RERANK_DEPTHS = (20, 30, 50)
SENTENCE_WEIGHTS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
RERANK_MIX = (0.0, 0.25, 0.5, 0.75, 1.0)  # share of MaxSim in the re-ranker's score


def query_tokens(index: HybridIndex, encoder: TokenEncoder, text: str) -> TokenStore:
    """The query's token vectors, embedded on its own with the text the dense signal sees
    (acronym long forms appended) and the query prefix."""
    return encoder.encode([index._dense_query(text)], prefix=index.manifest.query_prefix, batch=1)


def add_maxsim(
    index: HybridIndex, encoder: TokenEncoder, store: TokenStore, queries: Sequence[Query]
) -> float:
    """Adds arrays "maxsim" and "maxsim_idf" (every passage) to each query; returns the
    median milliseconds of a query's token pass + MaxSim over all passages."""
    idf = idf_of(store)
    floor = float(idf.max())  # a query token no passage holds is as rare as any
    times = []
    for q in queries:
        started = time.perf_counter()
        tokens = query_tokens(index, encoder, q.question.text)
        vectors = tokens.vectors.astype(np.float32)
        q.arrays["maxsim"] = maxsim(store, vectors)
        times.append(time.perf_counter() - started)
        weights = np.array([idf[i] if i < len(idf) else floor for i in tokens.ids])
        q.arrays["maxsim_idf"] = maxsim(store, vectors, weights=weights)
    return 1000 * float(np.median(times))


def ranks_for(
    queries: Sequence[Query], names: Sequence[str], rows: np.ndarray, *, passive: Sequence[str]
) -> np.ndarray:
    """(queries, rows) first-relevant ranks (0 beyond 10) under min-max fusion."""
    out = np.zeros((len(queries), rows.shape[0]), dtype=np.int64)
    for qi, q in enumerate(queries):
        out[qi] = first_relevant_rank(
            q, names, rows, norm="minmax", pool=CANDIDATES, passive=passive
        )
    return out


def shipped(untranslated: bool) -> dict[str, dict[str, float]]:
    return without_untranslated_bm25(FUSION_WEIGHTS, translated=not untranslated)


def sixth_rows(lang: str, *, untranslated: bool) -> np.ndarray:
    """The shipped weights of `lang` with MaxSim at each of MAXSIM_WEIGHTS (row 0: none)."""
    base = shipped(untranslated)[lang]
    return np.array([[*(base.get(n, 0.0) for n in NAMES), w] for w in MAXSIM_WEIGHTS])


def refit_rows(lang: str, *, untranslated: bool) -> np.ndarray:
    """fusion_pool's refit grid (the weights before it, their ablations, the round grid)
    crossed with MAXSIM_WEIGHTS."""
    base = grid_rows(BEFORE[lang], english_untranslated=lang == "en" and untranslated)
    return np.array([[*row, w] for w in MAXSIM_WEIGHTS for row in base])


# MaxSim in place of dense, bringing its own top 50 or (keep_dense) leaving the dense
# vector to bring its top 50 at a negligible weight and only scoring the candidates, as a
# service would compute it (over ~111 passages, not 653).
NEGLIGIBLE = 1e-6


def instead_of_dense_rows(lang: str, *, untranslated: bool, keep_dense: bool) -> np.ndarray:
    """fusion_pool's refit grid with MaxSim (weight 1) in place of the pooled dense vector
    (weight 0, or NEGLIGIBLE with `keep_dense`: it then only brings candidates)."""
    base = grid_rows(BEFORE[lang], english_untranslated=lang == "en" and untranslated)
    base[:, NAMES.index("dense")] = NEGLIGIBLE if keep_dense else 0.0
    return np.array([[*row, 1.0] for row in np.unique(base, axis=0)])


def fused_scores(query: Query, weights: np.ndarray) -> dict[int, float]:
    """The shipped fusion's score of each candidate (weights over NAMES)."""
    on = [n for n, w in zip(NAMES, weights, strict=True) if w > 0 and n != "cue"]
    ids = candidates_of(query, on, pool=CANDIDATES)
    matrix = np.stack([_minmax(query.arrays[n][ids]) for n in NAMES])
    total = weights / weights.sum()
    return dict(zip(ids.tolist(), (total @ matrix).tolist(), strict=True))


def _minmax(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64)
    span = values.max() - values.min() if len(values) else 0.0
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


def rerank_ranks(query: Query, weights: np.ndarray, signal: str) -> np.ndarray:
    """First-relevant rank (0 beyond 10) per (depth, mix) of RERANK_DEPTHS x RERANK_MIX:
    the fused top `depth` re-scored by (1 - mix) x fused + mix x MaxSim, both min-max over
    those passages; the rest keep their order below."""
    fused = fused_scores(query, weights)
    order = sorted(fused, key=lambda i: (-fused[i], i))
    out = []
    for depth in RERANK_DEPTHS:
        top = np.array(order[:depth])
        f = _minmax(np.array([fused[i] for i in top]))
        m = _minmax(query.arrays[signal][top])
        for mix in RERANK_MIX:
            score = (1 - mix) * f + mix * m
            ranked = top[np.lexsort((np.arange(len(top)), -score))].tolist() + order[depth:]
            hits = [r for r, i in enumerate(ranked[:10], start=1) if query.relevant[i]]
            out.append(hits[0] if hits else 0)
    return np.array(out)


def rerank_rows() -> np.ndarray:
    return np.array([[d, m] for d in RERANK_DEPTHS for m in RERANK_MIX], dtype=np.float64)


def retrieval(
    index: HybridIndex, encoder: TokenEncoder, store: TokenStore, untranslated: bool
) -> None:
    pool = load_pool()
    queries = collect(index, pool)
    ms = add_maxsim(index, encoder, store, queries)
    print(f"{len(pool)} queries; query tokens + MaxSim over all passages: median {ms:.1f} ms")
    n = len(pool)
    folds = {
        "leave-one-file-out": [p.source for p in pool],
        "random 5-fold": [i % FOLDS for i in np.random.default_rng(0).permutation(n)],
    }
    results: dict[str, np.ndarray] = {}
    for alone in ("dense", "maxsim", "maxsim_idf", "sentence"):
        results[f"{alone} alone"] = ranks_for(queries, [alone], np.ones((1, 1)), passive=())[:, 0]
    for signal in ("maxsim", "maxsim_idf"):
        names = [*NAMES, signal]
        for kind, passive in (("passive", ("cue", signal)), ("with its own top 50", ("cue",))):
            per_w = np.zeros((n, len(MAXSIM_WEIGHTS)), dtype=np.int64)
            held = {f: np.zeros(n, dtype=np.int64) for f in folds}
            for lang, members in by_language(pool):
                rows = sixth_rows(lang, untranslated=untranslated)
                ranks = np.zeros((n, len(rows)), dtype=np.int64)
                ranks[members] = ranks_for(
                    [queries[i] for i in members], names, rows, passive=passive
                )
                per_w[members] = ranks[members]
                for f, fold in folds.items():
                    picks = held_out_picks(ranks, rows, fold, members)
                    held[f][members] = picks[0][members]
                    print(f"{signal} {kind} {lang} {f}: picked maxsim weights {picks[1]}")
            for j, w in enumerate(MAXSIM_WEIGHTS):
                if w or (signal == "maxsim" and kind == "passive"):
                    results[f"shipped + {signal} {w:g} ({kind})"] = per_w[:, j]
            for f in folds:
                results[f"shipped + {signal} ({kind}), weight {f}"] = held[f]
    for signal in ("maxsim", "maxsim_idf"):
        names = [*NAMES, signal]
        held = {f: np.zeros(n, dtype=np.int64) for f in folds}
        for lang, members in by_language(pool):
            rows = refit_rows(lang, untranslated=untranslated)
            ranks = np.zeros((n, len(rows)), dtype=np.int64)
            ranks[members] = ranks_for(
                [queries[i] for i in members], names, rows, passive=("cue", signal)
            )
            for f, fold in folds.items():
                picks = held_out_picks(ranks, rows, fold, members)
                held[f][members] = picks[0][members]
                print(f"refit with {signal} {lang} {f}: {picks[2]}")
        for f in folds:
            results[f"pool refit with {signal}, {f}"] = held[f]
    for signal, own in itertools.product(("maxsim", "maxsim_idf"), (True, False)):
        names = [*NAMES, signal]
        held = {f: np.zeros(n, dtype=np.int64) for f in folds}
        for lang, members in by_language(pool):
            rows = instead_of_dense_rows(lang, untranslated=untranslated, keep_dense=not own)
            ranks = np.zeros((n, len(rows)), dtype=np.int64)
            ranks[members] = ranks_for(
                [queries[i] for i in members],
                names,
                rows,
                passive=("cue",) if own else ("cue", signal),
            )
            in_sample = pick(ranks[members], rows, tolerance=TOLERANCE_QUESTIONS)
            print(f"{signal} instead of dense {lang} ({own=}), whole pool: {rows[in_sample]}")
            for f, fold in folds.items():
                held[f][members] = held_out_picks(ranks, rows, fold, members)[0][members]
        label = "its own top 50" if own else "dense's top 50 as candidates, MaxSim over them"
        for f in folds:
            results[f"{signal} instead of dense ({label}; pool grid refit), {f}"] = held[f]
    for signal in ("maxsim", "maxsim_idf"):
        rows = rerank_rows()
        ranks = np.zeros((n, len(rows)), dtype=np.int64)
        for lang, members in by_language(pool):
            base = np.array([shipped(untranslated)[lang].get(x, 0.0) for x in NAMES])
            for i in members:
                ranks[i] = rerank_ranks(queries[i], base, signal)
        for j, (d, m) in enumerate(rows):
            if m in (0.5, 1.0):
                results[f"re-rank top {d:g} by {signal}, mix {m:g}"] = ranks[:, j]
        for f, fold in folds.items():
            out = np.zeros(n, dtype=np.int64)
            for lang, members in by_language(pool):
                picks = held_out_picks(ranks, rows, fold, members)
                out[members] = picks[0][members]
                print(f"re-rank {signal} {lang} {f}: picked (depth, mix) {picks[2]}")
            results[f"re-rank by {signal}, depth and mix {f}"] = out
    print(header())
    for name, ranks in results.items():
        print(f"| {name} | " + " | ".join(row_cells(pool, ranks)) + " |")
    print("R@5 in questions: pool / nl / en / gold nl / gold en")
    for name, ranks in results.items():
        print(f"{name}: {' / '.join(str(c) for c in top5_counts(pool, ranks))}")


def top5_counts(pool: Sequence[PoolQuery], ranks: np.ndarray) -> list[int]:
    """Queries with a relevant passage in the top 5: pool, nl, en, gold nl, gold en."""
    hit = (ranks > 0) & (ranks <= 5)
    keeps = [
        lambda p: True,
        lambda p: p.question.lang == "nl",
        lambda p: p.question.lang == "en",
        lambda p: p.source == "questions" and p.question.lang == "nl",
        lambda p: p.source == "questions" and p.question.lang == "en",
    ]
    return [int(sum(h for h, p in zip(hit, pool, strict=True) if keep(p))) for keep in keeps]


def held_out_picks(
    ranks: np.ndarray, rows: np.ndarray, fold: Sequence[object], members: Sequence[int]
) -> tuple[np.ndarray, list[float], list[str]]:
    """fusion_pool.held_out, also returning each fold's pick (last column; whole row)."""
    out = np.zeros(len(fold), dtype=np.int64)
    last, whole = [], []
    for f in sorted(set(fold[i] for i in members), key=str):
        train = [i for i in members if fold[i] != f]
        test = [i for i in members if fold[i] == f]
        r = pick(ranks[train], rows, tolerance=TOLERANCE_QUESTIONS)
        out[test] = ranks[test, r]
        last.append(float(rows[r, -1]))
        whole.append("/".join(f"{w:g}" for w in rows[r]))
    return out, last, whole


# ---- answer sentences (bench/selection_variants.py's protocol)


@dataclass(frozen=True, slots=True)
class SentenceVariant:
    """MaxSim of the question with each candidate sentence, min-max over the candidates,
    added at `weight`; the shipped cosine term kept at `cosine` (0: replaced)."""

    tokens: str = "none"  # none (shipped), slice (of the passage's tokens), alone
    idf: bool = False
    weight: float = 0.0
    cosine: float = 0.1  # service.selection.SIMILARITY_WEIGHT


class SentenceTokens:
    """Each index sentence's token vectors: its slice of its passage's, or its own."""

    def __init__(self, index: HybridIndex, encoder: TokenEncoder, cache_dir: Path) -> None:
        self.index = index
        self.encoder = encoder
        self.passages, _ = passage_store(index, encoder, cache_dir)
        texts = [s.text for s in index._sentences]
        self.alone, seconds = cached_store(
            encoder,
            texts,
            prefix=index.manifest.passage_prefix,
            cache_dir=cache_dir,
            name="sentences",
        )
        print(
            f"sentence token store: {len(texts)} sentences, {self.alone.megabytes:.1f} MB, "
            f"computed in {seconds:.1f} s"
        )
        self.idf = idf_of(self.passages)
        self._row = {(s.passage_id, s.start): i for i, s in enumerate(index._sentences)}
        self._position = {p.passage_id: i for i, p in enumerate(index.passages)}
        self._queries: dict[str, TokenStore] = {}

    def vectors(self, passage_id: str, start: int, end: int, kind: str) -> np.ndarray:
        if kind == "alone":
            return self.alone.vectors[self.alone.rows(self._row[(passage_id, start)])]
        p = self._position[passage_id]
        title = self.index.passages[p].section_title.strip()
        shift = len(title) + 2 if title else 0
        rows = self.passages.rows(p)
        offs = self.passages.offsets[rows]
        keep = (offs[:, 1] > start + shift) & (offs[:, 0] < end + shift)
        return self.passages.vectors[rows][keep]

    def score(
        self, question: str, passage_id: str, start: int, end: int, v: SentenceVariant
    ) -> float:
        if question not in self._queries:
            self._queries[question] = query_tokens(self.index, self.encoder, question)
        q = self._queries[question]
        tokens = self.vectors(passage_id, start, end, v.tokens).astype(np.float32)
        if not len(tokens) or not len(q.ids):
            return -1.0
        best = (tokens @ q.vectors.astype(np.float32).T).max(axis=0)
        floor = float(self.idf.max())
        w = (
            np.array([self.idf[i] if i < len(self.idf) else floor for i in q.ids])
            if v.idf
            else np.ones(len(best))
        )
        return float(best @ w / w.sum())


def sentence_grids() -> dict[str, list[SentenceVariant]]:
    out: dict[str, list[SentenceVariant]] = {"shipped": [SentenceVariant()]}
    for tokens in ("slice", "alone"):
        for idf in (False, True):
            label = f"{tokens}{', idf' if idf else ''}"
            out[f"MaxSim ({label}) replaces the cosine"] = [
                SentenceVariant(tokens, idf, w, 0.0) for w in SENTENCE_WEIGHTS
            ]
            out[f"MaxSim ({label}) beside the cosine"] = [
                SentenceVariant(tokens, idf, w, 0.1) for w in SENTENCE_WEIGHTS
            ]
    return out


def sentence_chooser(tokens: SentenceTokens):  # noqa: ANN201 - a bench closure
    from selection_variants import A, S, patched, replace

    def factory(v: SentenceVariant):  # noqa: ANN202
        def choose(self, question, retrieval):  # noqa: ANN001, ANN202
            candidates = self.candidates_for(question, retrieval)
            if v.tokens != "none" and candidates:
                ms = np.array(
                    [
                        tokens.score(
                            question, c.passage.passage_id, c.sentence.start, c.sentence.end, v
                        )
                        for c in candidates
                    ]
                )
                scaled = _minmax(ms)
                candidates = [
                    replace(c, score=c.score + v.weight * m)
                    for c, m in zip(candidates, scaled, strict=True)
                ]
            with patched([(S, "SIMILARITY_WEIGHT", v.cosine)]):
                ranked = S.rank_for_question(
                    question, candidates, constraints=retrieval.constraints
                )
            budget = min(
                self.max_sentences,
                S.sentence_budget(ranked, base=max(1, self.max_sentences - S.EXTRA_SENTENCES)),
            )
            return S.select_sentences(
                ranked,
                max_sentences=budget,
                follow=lambda s: self.first_of_next_passage(s, retrieval),
            )

        return choose

    del A
    return factory


def sentences(index_dir: Path, cache_dir: Path) -> None:
    from answer_ablation import TUNING, load_answerable, memoised_search
    from selection_variants import study

    from service.engine import build_engine
    from service.settings import Settings

    answerer = build_engine(Settings()).answerer
    memoised_search(answerer)
    encoder = TokenEncoder(answerer.index, index_dir)
    tokens = SentenceTokens(answerer.index, encoder, cache_dir)
    tuning = {name: load_answerable(name) for name in TUNING}
    pooled = [q for qs in tuning.values() for q in qs]
    for line in study(
        answerer,
        pooled,
        len(tuning["questions"]),
        grids=sentence_grids(),
        chooser=sentence_chooser(tokens),
    ):
        print(line, flush=True)


# ---- query-time cost


def latency(index: HybridIndex, index_dir: Path, store: TokenStore) -> None:
    """Per gold question (one onnxruntime thread, as served): the e5 query pass the
    service runs today, the token pass (the same graph; a service would take the token
    vectors from that one pass), and MaxSim over the fusion's candidates (the union of the
    weighted signals' top 50) with the store kept float16."""
    from fusion_pool import load_pool

    encoder = TokenEncoder(index, index_dir, threads=1)
    questions = [p.question.text for p in load_pool() if p.source == "questions"]
    weights = FUSION_WEIGHTS["nl"]
    pooled, tokens, scoring, candidates = [], [], [], []
    for text in questions:
        started = time.perf_counter()
        index._embedder.embed_queries([index._dense_query(text)])
        pooled.append(time.perf_counter() - started)
        started = time.perf_counter()
        q = query_tokens(index, encoder, text).vectors
        tokens.append(time.perf_counter() - started)
        sig = index.signal_scores(text)
        arrays = {
            "bm25": sig.bm25,
            "chars": sig.chars,
            "dense": sig.dense,
            "sentence": sig.sentence,
        }
        cand = sorted(
            {
                int(i)
                for n, a in arrays.items()
                if weights.get(n, 0) > 0
                for i in top_positions(a, CANDIDATES)
            }
        )
        started = time.perf_counter()
        candidate_maxsim(store, cand, q.astype(np.float32))
        scoring.append(time.perf_counter() - started)
        candidates.append(len(cand))
    ms = lambda xs: f"p50 {1000 * np.median(xs):.1f} / p95 {1000 * np.percentile(xs, 95):.1f} ms"  # noqa: E731
    print(
        f"{len(questions)} gold questions, one thread: pooled query pass {ms(pooled)}; "
        f"token pass {ms(tokens)}; MaxSim over {np.median(candidates):.0f} candidates "
        f"(median) {ms(scoring)}"
    )


def candidate_maxsim(store: TokenStore, positions: Sequence[int], query: np.ndarray) -> np.ndarray:
    """MaxSim (unweighted) of the texts at `positions` only: their float16 rows gathered
    and widened to float32 (numpy has no fast float16 product), one product, one reduceat."""
    spans = [store.rows(i) for i in positions]
    rows = np.concatenate([np.arange(r.start, r.stop) for r in spans])
    starts = np.cumsum([0] + [r.stop - r.start for r in spans[:-1]])
    sims = store.vectors[rows].astype(np.float32) @ query.T
    return np.maximum.reduceat(sims, starts, axis=0).mean(axis=1)


# ---- answers with MaxSim (idf) in place of dense in the fusion


# The weights the pool grid refit picks on the whole pool with MaxSim idf in place of dense
# ("dense" here names MaxSim's slot), per language.
INSTEAD_WEIGHTS = {
    "nl": {"dense": 1.0, "chars": 0.5, "sentence": 0.5},
    "en": {"dense": 1.0, "sentence": 0.5},
}


def answers(index_dir: Path, cache_dir: Path) -> None:
    """Answer evidence on the 237 pooled tuning answerables with the fusion's dense slot
    scored by idf-weighted MaxSim under INSTEAD_WEIGHTS (picked on the retrieval pool, which
    holds these questions: in sample), against the shipped fusion; every other part of the
    service (hits' dense scores, confidence, selection) unchanged."""
    from dataclasses import replace as with_fields

    from answer_ablation import TUNING, answer_all, load_answerable
    from selection_variants import evidence_by_rank, first_relevant_rank

    from index.fusion import fuse
    from service.engine import build_engine
    from service.settings import Settings

    answerer = build_engine(Settings()).answerer
    index = answerer.index
    encoder = TokenEncoder(index, index_dir)
    store, _ = passage_store(index, encoder, cache_dir)
    wide = TokenStore(store.vectors.astype(np.float32), store.ids, store.offsets, store.starts)
    idf = idf_of(store)
    shipped_search = index._search_one

    def late_scores(query: str, *, weighted: bool) -> np.ndarray:
        tokens = query_tokens(index, encoder, query)
        weights = np.array([idf[i] if i < len(idf) else idf.max() for i in tokens.ids])
        return maxsim(
            wide, tokens.vectors.astype(np.float32), weights=weights if weighted else None
        )

    def instead_of_dense(query: str, terms: list[str], *, k: int, mode: SearchMode) -> list[Hit]:
        if mode != "hybrid":
            return shipped_search(query, terms, k=k, mode=mode)
        signals = index._signals(query, terms)
        late = late_scores(query, weighted=True)
        ranking = fuse(with_fields(signals, dense=late), INSTEAD_WEIGHTS[signals.language])[:k]
        return index._hits(ranking, sparse=signals.bm25, dense=signals.dense)

    def english_sixth(query: str, terms: list[str], *, k: int, mode: SearchMode) -> list[Hit]:
        """Shipped fusion; for English, + MaxSim (weight 1, min-max over the candidates)."""
        signals = index._signals(query, terms)
        if mode != "hybrid" or signals.language != "en":
            return shipped_search(query, terms, k=k, mode=mode)
        weights = index._fusion["en"]
        fused = dict(fuse(signals, weights))
        ids = np.array(sorted(fused))
        late = _minmax(late_scores(query, weighted=False)[ids])
        total = sum(w for n, w in weights.items() if n != "cue")
        score = {int(i): total * fused[int(i)] + m for i, m in zip(ids, late, strict=True)}
        ranking = sorted(score.items(), key=lambda item: (-item[1], item[0]))[:k]
        return index._hits(ranking, sparse=signals.bm25, dense=signals.dense)

    tuning = {name: load_answerable(name) for name in TUNING}
    pooled = [q for qs in tuning.values() for q in qs]
    n_gold = len(tuning["questions"])
    variants = (
        ("shipped fusion", shipped_search),
        ("MaxSim idf in place of dense", instead_of_dense),
        ("English: + MaxSim 1 (sixth signal)", english_sixth),
    )
    for label, search in variants:
        index._search_one = search  # type: ignore[method-assign]
        retrievals = [answerer.retrieve(q.question, top_k=5) for q in pooled]
        ranks = [first_relevant_rank(q, r.hits) for q, r in zip(pooled, retrievals, strict=True)]
        holds = [o.holds for o in answer_all(answerer, pooled, retrievals)]
        english = [i for i, q in enumerate(pooled) if q.lang == "en"]
        print(
            f"{label}: evidence {sum(holds)}/{len(pooled)}, gold {sum(holds[:n_gold])}/{n_gold}"
            f", English {sum(holds[i] for i in english)}/{len(english)}"
            f" | " + evidence_by_rank(ranks, holds)
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", choices=("store", "retrieval", "sentences", "latency", "answers"), default="store"
    )
    args = parser.parse_args(argv)

    from index.load import load_index
    from service.settings import Settings

    settings = Settings()
    if args.part == "sentences":
        sentences(Path(settings.index_dir), Path(settings.cache_dir))
        return
    if args.part == "answers":
        answers(Path(settings.index_dir), Path(settings.cache_dir))
        return
    index = load_index(settings.index_dir, config=settings.index_config())
    encoder = TokenEncoder(index, Path(settings.index_dir))
    store, seconds = passage_store(index, encoder, Path(settings.cache_dir))
    print(
        f"passage token store: {len(store.starts) - 1} passages, {len(store.ids)} tokens, "
        f"{store.megabytes:.1f} MB (float16 vectors {store.vectors.nbytes / 1e6:.1f} MB), "
        f"computed in {seconds:.1f} s"
    )
    if args.part == "latency":
        latency(index, Path(settings.index_dir), store)
    if args.part == "retrieval":
        retrieval(index, encoder, store, untranslated=not settings.translate_english)


if __name__ == "__main__":
    main()
