"""Unsupervised in-domain adaptation of the embedding model on the report's own text.

Builds (anchor, positive) pairs from the ingested passages only (never from eval/gold):

    title    (section title, passage text)
    ict      (a sentence, the rest of its passage): inverse cloze task
    next     (a sentence, the next sentence of the same passage)
    crop     (a random span of 4-10 words of a sentence, its whole passage): query-like

and fine-tunes the configured sentence-transformers model with MultipleNegativesRankingLoss
(in-batch negatives; a batch never holds two pairs from the same passage, so no positive
is another pair's negative). Training is seeded and uses `SentenceTransformer.old_fit`,
the plain-torch loop, which unlike the Trainer needs neither `datasets` nor `accelerate`.
The output is an ordinary sentence-transformers folder: use it with
MINUSMA_EMBEDDING_MODEL=<out> (and a fresh MINUSMA_CACHE_DIR if you retrain into the
same folder: the embedding cache is keyed by the model setting, not its weights).

    .venv/bin/python bench/adapt_embedding.py [--out DIR] [--epochs 1] [--kinds ict,crop]

Measured 2026-11-27 (bench/retrieval_table.py --cv, 132 Dutch gold questions): one epoch
on 1151 ict+crop pairs (seq 64, lr 2e-5) lifts dense-only Dutch recall@5 0.40 -> 0.46 but
leaves the cross-validated hybrid at 0.83-0.84 (paraphrases 0.72, MRR@10 0.66): BM25 and
the n-grams already find what the adapted model newly finds. Not adopted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from ingest.models import Passage  # noqa: E402
from ingest.pipeline import ingest_sources  # noqa: E402
from ingest.sentences import split_sentences  # noqa: E402
from service.settings import Settings  # noqa: E402

KINDS = ("title", "ict", "next", "crop")
MIN_WORDS = 5  # shorter sentences (headings, list stubs) make poor anchors


@dataclass(frozen=True, slots=True)
class Pair:
    """One training pair; `group` is the passage it came from (one per batch)."""

    kind: str
    anchor: str
    positive: str
    group: str


def build_pairs(
    passages: Sequence[Passage], *, kinds: Sequence[str], per_passage: int, seed: int
) -> list[Pair]:
    """Pairs of the requested kinds, at most `per_passage` of each kind per passage
    (sentences drawn at random, seeded), in a deterministic order."""
    rng = random.Random(seed)
    pairs: list[Pair] = []
    for passage in passages:
        sentences = [s for s in split_sentences(passage.text) if s.strip()]
        pairs += _passage_pairs(passage, sentences, kinds=kinds, limit=per_passage, rng=rng)
    return pairs


def _passage_pairs(
    passage: Passage,
    sentences: list[str],
    *,
    kinds: Sequence[str],
    limit: int,
    rng: random.Random,
) -> list[Pair]:
    pid, text = passage.passage_id, passage.text
    out: list[Pair] = []
    title = passage.section_title.strip()
    if "title" in kinds and title and len(text.split()) >= MIN_WORDS:
        out.append(Pair("title", title, text, pid))
    long = [i for i, s in enumerate(sentences) if len(s.split()) >= MIN_WORDS]
    long = sorted(rng.sample(long, min(limit, len(long))))
    if "ict" in kinds and len(sentences) >= 2:
        for i in long:
            rest = " ".join(s for j, s in enumerate(sentences) if j != i)
            out.append(Pair("ict", sentences[i], rest, pid))
    if "next" in kinds:
        for i in long:
            if i + 1 < len(sentences) and len(sentences[i + 1].split()) >= MIN_WORDS:
                out.append(Pair("next", sentences[i], sentences[i + 1], pid))
    if "crop" in kinds:
        out += [Pair("crop", _crop(sentences[i], rng), text, pid) for i in long]
    return out


def _crop(sentence: str, rng: random.Random) -> str:
    tokens = sentence.split()
    size = min(len(tokens), rng.randint(4, 10))
    start = rng.randint(0, len(tokens) - size)
    return " ".join(tokens[start : start + size])


class GroupBatches:
    """Batches of InputExamples with at most one pair per passage and no repeated text.

    Shaped like sentence-transformers' NoDuplicatesDataLoader (what `old_fit` iterates),
    but keyed by passage, and reshuffled by its own seeded generator on every pass.
    """

    def __init__(self, pairs: Sequence[Pair], *, batch_size: int, seed: int) -> None:
        self.pairs = list(pairs)
        self.batch_size = batch_size
        self.collate_fn: Any = None
        self._rng = random.Random(seed)

    def __len__(self) -> int:
        return len(self.pairs) // self.batch_size

    def __iter__(self) -> Iterator[Any]:
        from sentence_transformers import InputExample

        order = list(self.pairs)
        self._rng.shuffle(order)
        for batch in _greedy_batches(order, self.batch_size)[: len(self)]:
            examples = [InputExample(texts=[p.anchor, p.positive]) for p in batch]
            yield self.collate_fn(examples) if self.collate_fn else examples


def _greedy_batches(order: list[Pair], size: int) -> list[list[Pair]]:
    """Fill batches in order, deferring a pair whose passage or text is already in it."""
    batches: list[list[Pair]] = []
    pending = order
    while len(pending) >= size:
        batch: list[Pair] = []
        seen: set[str] = set()
        deferred: list[Pair] = []
        for pair in pending:
            keys = {pair.group, pair.anchor.lower(), pair.positive.lower()}
            if len(batch) < size and not keys & seen:
                batch.append(pair)
                seen |= keys
            else:
                deferred.append(pair)
        if len(batch) < size:
            break
        batches.append(batch)
        pending = deferred
    return batches


def adapt(
    base_model: str,
    pairs: Sequence[Pair],
    out: Path,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    max_seq_length: int,
    seed: int,
) -> float:
    """Fine-tune `base_model` on `pairs`, save it to `out`; return training seconds."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    random.seed(seed)
    torch.manual_seed(seed)
    model = SentenceTransformer(base_model, device="cpu")
    encode_length = model.max_seq_length  # restored below: index time encodes as before
    model.max_seq_length = max_seq_length
    loader = GroupBatches(pairs, batch_size=batch_size, seed=seed)
    steps = len(loader) * epochs
    started = time.perf_counter()
    model.old_fit(
        # old_fit only iterates the loader and takes its len, as with NoDuplicatesDataLoader
        train_objectives=[(cast(Any, loader), MultipleNegativesRankingLoss(model))],
        epochs=epochs,
        warmup_steps=max(1, steps // 10),
        optimizer_params={"lr": lr},
        show_progress_bar=True,
    )
    seconds = time.perf_counter() - started
    model.max_seq_length = encode_length
    model.save(str(out))
    return seconds


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var/models/minilm-report-adapted")
    parser.add_argument("--kinds", default="ict,crop", help=f"subset of {KINDS}")
    parser.add_argument("--per-passage", type=int, default=1, help="pairs per kind and passage")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--max-seq-length", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        parser.error(f"unknown pair kinds {unknown}; choose from {KINDS}")

    settings = Settings()
    passages = ingest_sources(settings.sources, config=settings.ingest_config())
    pairs = build_pairs(passages, kinds=kinds, per_passage=args.per_passage, seed=args.seed)
    counts = Counter(p.kind for p in pairs)
    print(f"{len(pairs)} pairs from {len(passages)} passages: {dict(counts)}")
    seconds = adapt(
        settings.index_config().model,
        pairs,
        args.out,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        max_seq_length=args.max_seq_length,
        seed=args.seed,
    )
    record = {
        "base_model": settings.embedding_model,
        "pairs": dict(counts),
        "per_passage": args.per_passage,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "max_seq_length": args.max_seq_length,
        "seed": args.seed,
        "train_seconds": round(seconds, 1),
    }
    (args.out / "adaptation.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    print(f"trained in {seconds:.0f}s -> {args.out}")


if __name__ == "__main__":
    main()
