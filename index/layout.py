"""The files of an index directory and the plain-file helpers that write and read them.

An index is a directory of plain files:

    manifest.json      format version, model, dimension, prefixes, chunking, sources, counts,
                       and the SHA-256 of every other file (checked on load)
    passages.jsonl     the Passage records, in document order
    passages.faiss     FAISS inner-product index of the passage vectors
    bm25/              the bm25s index of the analysed passages (section title + text)
    bm25-chars/        the bm25s index of their character n-grams (same text)
    sentences.jsonl    passage_id, start, end of every sentence, passage by passage
    sentences.npy      the sentence vectors (float32, L2-normalised), same order
    vocabulary.json    the compound-splitting vocabulary the analyzer used
    glossary.json      acronym -> long form, extracted from the report
    translations.json  English stem -> Dutch report words, from FreeDict at build time
                       ({} when the dictionaries are not installed)
    query_encoder.onnx the ONNX query encoder (query encoders "onnx" and "onnx-int8")

`build.py` writes them, `load.py` checks and reads them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ingest.cachefile import sha256_of

QUERY_ENCODER_FILE = "query_encoder.onnx"
TRANSLATIONS_FILE = "translations.json"
ONNX_ENCODERS = ("onnx", "onnx-int8")  # query encoders served from QUERY_ENCODER_FILE


def checksums(directory: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under `directory` but the manifest."""
    return {
        path.relative_to(directory).as_posix(): sha256(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != "manifest.json"
    }


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (the ingest's own, so one function hashes every file)."""
    return sha256_of(path)


def write_jsonl(path: Path, rows: Any) -> None:
    """One JSON object per line."""
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Inverse of `write_jsonl`."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_json(path: Path, data: Any) -> None:
    """`data` as indented UTF-8 JSON."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def read_json(path: Path) -> Any:
    """Inverse of `write_json`."""
    return json.loads(path.read_text(encoding="utf-8"))
