"""Sources in, passages out: dispatch by file type, hash the source, reuse the ingest cache,
write passages.jsonl."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.cache import IngestCache
from ingest.errors import IngestError
from ingest.models import IngestConfig, Passage, SourceLine
from ingest.text import read_source_bytes, read_text_lines

PASSAGES_FILE = "passages.jsonl"


def ingest_sources(
    paths: Sequence[Path],
    *,
    config: IngestConfig,
    progress: bool = False,
    refresh_cache: bool = False,
) -> list[Passage]:
    """The passages of every source, in order.

    With more than one source, each passage_id is prefixed with its source's file stem
    (`<stem>:4.3.4-p3`) so ids stay unique; a single source keeps plain ids (`4.3.4-p3`).
    With `config.cache_dir`, a source ingested before with the same settings and code is
    read from the ingest cache (`ingest/cache.py`) and a new one is stored there;
    `refresh_cache` ingests every source afresh and replaces its cache entry.

    Raises:
        IngestError: a source is missing, empty, not UTF-8, of an unsupported type, or
            (PDF) corrupt, encrypted or without a text layer; the cache is unwritable.
    """
    if not paths:
        raise IngestError("no source given; pass a .txt or .pdf file")
    cache = None if config.cache_dir is None else IngestCache(config.cache_dir, config=config)
    # read (and so validate) every source before the long work starts: a bad file fails
    # fast, with its own one-line error and before any progress output
    sources = [_open_source(path, None if refresh_cache else cache) for path in paths]
    passages: list[Passage] = []
    for source in _progress(sources, enabled=progress):
        found = source.cached
        if found is None:
            # imported here: the structure parser loads wordfreq (~0.5 s), which a rebuild
            # whose passages are all cached does not need
            from ingest.passages import build_passages

            found = build_passages(
                source.lines, source=source.path.name, source_sha256=source.sha256, config=config
            )
            if cache is not None:
                cache.put(source.path.name, source.sha256, found)
        passages.extend(_listed(found, source, several=len(paths) > 1))
    _check_unique(passages)
    return passages


def cached_passages(paths: Sequence[Path], *, config: IngestConfig) -> list[Passage] | None:
    """What `ingest_sources` gives when the ingest cache holds every source, else None
    (nothing is ingested or stored).

    Raises:
        IngestError: as `ingest_sources`, for a bad source.
    """
    if not paths or config.cache_dir is None:
        return None
    cache = IngestCache(config.cache_dir, config=config)
    sources = [_open_source(path, cache) for path in paths]
    passages: list[Passage] = []
    for source in sources:
        if source.cached is None:
            return None
        passages.extend(_listed(source.cached, source, several=len(paths) > 1))
    return passages


def _listed(passages: list[Passage], source: _Source, *, several: bool) -> list[Passage]:
    """A source's passages as the list of several sources holds them (ids prefixed)."""
    return _prefixed(passages, prefix=source.path.stem) if several else passages


@dataclass(frozen=True, slots=True)
class _Source:
    path: Path
    sha256: str
    lines: list[SourceLine]  # empty when the passages are cached
    cached: list[Passage] | None


def _open_source(path: Path, cache: IngestCache | None) -> _Source:
    """A source hashed, and its lines read unless the cache holds its passages."""
    _check_type(path)
    digest = hashlib.sha256(read_source_bytes(path)).hexdigest()
    cached = None if cache is None else cache.get(path.name, digest)
    lines = read_source_lines(path) if cached is None else []
    return _Source(path, digest, lines, cached)


def read_source_lines(path: Path) -> list[SourceLine]:
    """The physical lines of a .txt or .pdf source."""
    if _check_type(path) == ".txt":
        return read_text_lines(path)
    from ingest.pdf import read_pdf_lines

    return read_pdf_lines(path)


def _check_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".txt", ".pdf"):
        raise IngestError(f"{path}: unsupported file type {suffix!r}; pass a .txt or .pdf file")
    return suffix


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


def _progress(sources: list[_Source], *, enabled: bool) -> Iterable[_Source]:
    if not enabled:
        return sources
    from tqdm import tqdm

    return tqdm(sources, desc="ingest", unit="source")
