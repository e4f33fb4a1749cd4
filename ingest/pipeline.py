"""Sources in, passages out: dispatch by file type, hash the source, write passages.jsonl."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from ingest.errors import IngestError
from ingest.models import IngestConfig, Passage, SourceLine
from ingest.passages import build_passages
from ingest.text import read_text_lines

PASSAGES_FILE = "passages.jsonl"


def ingest_sources(
    paths: Sequence[Path], *, config: IngestConfig, progress: bool = False
) -> list[Passage]:
    """The passages of every source, in order.

    With more than one source, each passage_id is prefixed with its source's file stem
    (`<stem>:4.3.4-p3`) so ids stay unique; a single source keeps plain ids (`4.3.4-p3`).

    Raises:
        IngestError: a source is missing, empty, not UTF-8, of an unsupported type, or
            (PDF) corrupt, encrypted or without a text layer.
    """
    if not paths:
        raise IngestError("no source given; pass a .txt or .pdf file")
    # read (and so validate) every source before the long work starts: a bad file fails
    # fast, with its own one-line error and before any progress output
    sources = [(path, read_source_lines(path), sha256_of(path)) for path in paths]
    passages: list[Passage] = []
    for path, lines, digest in _progress(sources, enabled=progress):
        found = build_passages(lines, source=path.name, source_sha256=digest, config=config)
        passages.extend(_prefixed(found, prefix=path.stem) if len(paths) > 1 else found)
    _check_unique(passages)
    return passages


def read_source_lines(path: Path) -> list[SourceLine]:
    """The physical lines of a .txt or .pdf source."""
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return read_text_lines(path)
    if suffix == ".pdf":
        from ingest.pdf import read_pdf_lines

        return read_pdf_lines(path)
    raise IngestError(f"{path}: unsupported file type {suffix!r}; pass a .txt or .pdf file")


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_passages(passages: Iterable[Passage], out_dir: Path) -> Path:
    """Write `out_dir/passages.jsonl` atomically (temporary file, then os.replace)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / PASSAGES_FILE
    descriptor, temporary = tempfile.mkstemp(dir=out_dir, prefix=".passages-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            for passage in passages:
                handle.write(json.dumps(passage.to_dict(), ensure_ascii=False) + "\n")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def read_passages(path: Path) -> list[Passage]:
    """Inverse of `write_passages` (path of a passages.jsonl file)."""
    try:
        with path.open(encoding="utf-8") as handle:
            return [Passage.from_dict(json.loads(line)) for line in handle if line.strip()]
    except FileNotFoundError as exc:
        raise IngestError(f"{path}: passages file not found; run `minusma-qa ingest`") from exc
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise IngestError(f"{path}: not a valid passages file ({exc}); re-run ingest") from exc


def _prefixed(passages: list[Passage], *, prefix: str) -> list[Passage]:
    from dataclasses import replace

    return [replace(p, passage_id=f"{prefix}:{p.passage_id}") for p in passages]


def _check_unique(passages: Sequence[Passage]) -> None:
    seen: set[str] = set()
    for passage in passages:
        if passage.passage_id in seen:
            raise IngestError(
                f"duplicate passage id {passage.passage_id!r}; two sources share a file name"
            )
        seen.add(passage.passage_id)


_Source = tuple[Path, list[SourceLine], str]


def _progress(sources: list[_Source], *, enabled: bool) -> Iterable[_Source]:
    if not enabled:
        return sources
    from tqdm import tqdm

    return tqdm(sources, desc="ingest", unit="source")
