"""The cache directory's entries: which ones a build with the settings and the index in use
need, and removing the others (`minusma-qa cache list` and `cache prune`).

Every cache area keys its entries by what made them, so an entry of an older model, export
or code is never read again and only takes space. What is "in use" is computed by the
build's own key functions (`IngestCache.path`, `analysis_path`, `OnnxExports.cache_entries`,
the build's embedder identity, the resolved model folder), never by a second copy of them:

- `models`: the model folders (`<models>/<name>-<key>/`), removed under the lock a build
  takes to make one;
- `onnx`, `ingest`, `analysis`: files with their `.sha256` beside them, one entry each;
- `embeddings`: the rows of `embeddings.sqlite`, one entry per model identity.

An entry modified in the last `MIN_AGE_S` seconds is kept whatever its key, so a build
running meanwhile (its temporary files, an export it just stored) loses nothing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from index.build import build_embedder
from index.embed import EMBEDDINGS_FILE, cached_models, forget_models
from index.encoders.e5 import models_lock
from index.errors import CacheError
from index.exports import OnnxExports
from index.layout import read_json, read_jsonl
from index.models import IndexConfig, Manifest
from index.prepare import analysis_path
from ingest.cache import IngestCache
from ingest.cachefile import sha256_of
from ingest.models import IngestConfig, Passage
from ingest.pipeline import cached_passages

AREAS = ("models", "onnx", "ingest", "analysis", "embeddings")
MIN_AGE_S = 600.0


@dataclass(frozen=True, slots=True)
class InUse:
    """What a build needs from the cache: entry paths and embedding identities."""

    paths: frozenset[Path] = field(default_factory=frozenset)
    embeddings: frozenset[str] = field(default_factory=frozenset)

    def __or__(self, other: InUse) -> InUse:
        return InUse(self.paths | other.paths, self.embeddings | other.embeddings)


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One entry of a cache area and why it is kept (or not)."""

    area: str
    name: str  # file or folder name; for `embeddings` the model identity
    paths: tuple[Path, ...]  # its files or folder (`embeddings`: the SQLite file)
    size: int  # bytes (`embeddings`: of its rows' keys and vectors)
    current: bool  # a build with the current settings reads it
    indexed: bool  # a rebuild of the index in use reads it
    recent: bool  # modified in the last MIN_AGE_S seconds

    @property
    def kept(self) -> bool:
        """Whether `prune` keeps it."""
        return self.current or self.indexed or self.recent


def build_needs(
    sources: Sequence[Path], *, config: IndexConfig, ingest_config: IngestConfig
) -> InUse:
    """What a build of `sources` with these settings reads from the cache.

    The analysis entry is known when the ingest cache holds the sources' passages (the
    build would ingest them to the same passages otherwise, whose analysis the index's
    entry covers: see `index_needs`).
    """
    paths: set[Path] = set(_model_needs(config))
    if ingest_config.cache_dir is not None:
        cache = IngestCache(ingest_config.cache_dir, config=ingest_config)
        paths |= {cache.path(p.name, sha256_of(p)) for p in sources if p.is_file()}
    passages = cached_passages(sources, config=ingest_config) if sources else None
    if passages is not None and config.cache_dir is not None:
        paths.add(_analysis_entry(passages, config))
    return InUse(frozenset(paths), frozenset({_embedding_identity(config)}))


def index_needs(index_dir: Path, *, config: IndexConfig, ingest_config: IngestConfig) -> InUse:
    """What a rebuild of the index at `index_dir` (unchanged sources) reads from the cache:
    its sources' ingest entries (with its passage budget), the analysis of its passages and,
    when it was built with the settings' model, that model's export and vectors with its
    query encoder. Nothing when there is no readable index."""
    try:
        manifest = Manifest.from_dict(read_json(index_dir / "manifest.json"))
        passages = [Passage.from_dict(row) for row in read_jsonl(index_dir / "passages.jsonl")]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return InUse()
    paths: set[Path] = set()
    if ingest_config.cache_dir is not None:
        built = replace(ingest_config, max_passage_tokens=manifest.max_passage_tokens)
        cache = IngestCache(ingest_config.cache_dir, config=built)
        paths |= {cache.path(s.source, s.sha256) for s in manifest.sources}
    if config.cache_dir is not None:
        paths.add(_analysis_entry(passages, config))
    if manifest.embedding_model != config.model_label:
        return InUse(frozenset(paths))  # the settings' service refuses it anyway (load.py)
    its = replace(config, query_encoder=manifest.query_encoder)
    paths |= set(_model_needs(its))
    return InUse(frozenset(paths), frozenset({_embedding_identity(its)}))


def _model_needs(config: IndexConfig) -> list[Path]:
    """The model folder (when it is a local one) and the exports a build reads."""
    scratch = Path(config.cache_dir or ".")  # where exports go without a cache: unused here
    model = Path(config.model)
    return ([model] if model.is_dir() else []) + OnnxExports(
        config, scratch=scratch
    ).cache_entries()


def _embedding_identity(config: IndexConfig) -> str:
    exports = OnnxExports(config, scratch=Path(config.cache_dir or "."))
    return build_embedder(config, exports=exports).document_identity


def _analysis_entry(passages: Sequence[Passage], config: IndexConfig) -> Path:
    assert config.cache_dir is not None
    return analysis_path(passages, dictionary_dir=config.dictionary_dir, cache_dir=config.cache_dir)


def list_entries(
    cache_dir: Path,
    *,
    models_dir: Path,
    current: InUse,
    indexed: InUse,
    areas: Sequence[str] = AREAS,
) -> list[CacheEntry]:
    """The entries of `areas`, each marked current / indexed / recent.

    Raises:
        CacheError: an unknown area, or the cache directory is not a readable directory.
    """
    check_request(cache_dir, areas)
    entries: list[CacheEntry] = []
    now = time.time()
    for area in areas:
        if area == "embeddings":
            entries += _embedding_entries(cache_dir / EMBEDDINGS_FILE, current, indexed, now)
            continue
        directory = models_dir if area == "models" else cache_dir / area
        for name, paths in _grouped(directory, folders=area == "models"):
            used = [p in current.paths for p in paths], [p in indexed.paths for p in paths]
            entries.append(
                CacheEntry(
                    area=area,
                    name=name,
                    paths=paths,
                    size=sum(_size(p) for p in paths),
                    current=any(used[0]),
                    indexed=any(used[1]),
                    recent=any(_modified(p) > now - MIN_AGE_S for p in paths),
                )
            )
    return entries


def check_request(cache_dir: Path, areas: Sequence[str]) -> None:
    """Raise CacheError for an unknown area or a cache directory that cannot be read."""
    unknown = [area for area in areas if area not in AREAS]
    if unknown:
        raise CacheError(f"unknown cache area {unknown[0]!r}; use one of {', '.join(AREAS)}")
    try:
        next(iter(os.scandir(cache_dir)), None)
    except FileNotFoundError as exc:
        raise CacheError(
            f"cache directory {cache_dir} does not exist; check MINUSMA_CACHE_DIR"
        ) from exc
    except OSError as exc:
        raise CacheError(
            f"cannot read the cache directory {cache_dir} ({exc.strerror or exc}); check "
            "MINUSMA_CACHE_DIR and its permissions"
        ) from exc


def _grouped(directory: Path, *, folders: bool) -> list[tuple[str, tuple[Path, ...]]]:
    """An area's entries: model folders (the lock file aside), or files with their
    checksum file (a checksum or temporary file without its entry is an entry of its own)."""
    if not directory.is_dir():
        return []
    children = sorted(directory.iterdir())
    if folders:
        return [(p.name, (p,)) for p in children if p.name != ".lock"]
    names = {p.name for p in children}
    groups: list[tuple[str, tuple[Path, ...]]] = []
    for path in children:
        if path.name.endswith(".sha256") and path.name[: -len(".sha256")] in names:
            continue  # listed with its entry
        checksum = path.with_name(f"{path.name}.sha256")
        groups.append((path.name, (path, checksum) if checksum.name in names else (path,)))
    return groups


def _embedding_entries(
    database: Path, current: InUse, indexed: InUse, now: float
) -> list[CacheEntry]:
    """One entry per model identity in the embedding cache (recent: the file was written to
    in the last MIN_AGE_S seconds, so a build may be adding rows)."""
    if not database.is_file():
        return []
    recent = _modified(database) > now - MIN_AGE_S
    with _embedding_cache(database):
        models = cached_models(database)
    return [
        CacheEntry(
            area="embeddings",
            name=model,
            paths=(database,),
            size=size,
            current=model in current.embeddings,
            indexed=model in indexed.embeddings,
            recent=recent,
        )
        for model, size in models
    ]


@contextmanager
def _embedding_cache(database: Path) -> Iterator[None]:
    """Turns "not an embedding cache" (damaged, or another database) into a CacheError."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        raise CacheError(
            f"{database} is not a readable embedding cache ({exc}); remove it (the next "
            "build embeds the report again) or set MINUSMA_CACHE_DIR to another directory"
        ) from exc


def prune(entries: Iterable[CacheEntry], *, models_dir: Path, index_dir: Path) -> int:
    """Remove the entries that are not kept; return the bytes freed.

    Model folders are removed under the lock their builds take; embedding rows are deleted
    in one transaction and the database is then compacted (when no build holds it). An
    entry that is or holds `index_dir` is never removed.
    """
    index_dir = index_dir.resolve()
    doomed = [
        entry
        for entry in entries
        if not entry.kept and not any(index_dir.is_relative_to(p.resolve()) for p in entry.paths)
    ]
    freed = 0
    files = [e for e in doomed if e.area not in ("models", "embeddings")]
    for entry in files:
        freed += _remove(entry.paths)
    folders = [e for e in doomed if e.area == "models"]
    if folders:
        with models_lock(models_dir):
            freed += sum(_remove(entry.paths) for entry in folders)
    rows = [e for e in doomed if e.area == "embeddings"]
    if rows:
        freed += _delete_rows(rows[0].paths[0], [e.name for e in rows])
    return freed


def _remove(paths: Sequence[Path]) -> int:
    freed = 0
    for path in paths:  # the entry before its checksum: a half-removed one is not intact
        size = _size(path)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        freed += 0 if path.exists() else size
    return freed


def _delete_rows(database: Path, models: list[str]) -> int:
    before = database.stat().st_size
    with _embedding_cache(database):
        forget_models(database, models)
    return max(0, before - database.stat().st_size)


def _size(path: Path) -> int:
    try:
        if path.is_dir() and not path.is_symlink():
            return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir())
        return path.lstat().st_size
    except OSError:
        return 0


def _modified(path: Path) -> float:
    """The newest modification time of `path` (a folder: of anything in it)."""
    try:
        times = [path.lstat().st_mtime]
        if path.is_dir() and not path.is_symlink():
            times += [p.lstat().st_mtime for p in path.rglob("*")]
        return max(times)
    except OSError:
        return time.time()  # vanished or unreadable meanwhile: treat as in use
