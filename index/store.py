"""Build an index directory atomically, load it with checks, and search it (HybridIndex).

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

`build_index` writes everything into a temporary sibling directory and renames it into
place, so a crash or Ctrl-C never leaves a half-written index and the previous index stays
loadable until the rename. The build holds an advisory lock (flock) on its temporary
directory; one left by a killed build is unlocked, and the next build or load removes it.
"""

from __future__ import annotations

import ctypes
import fcntl
import glob
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index import fusion
from index.analysis import (
    QUESTION_WORDS,
    DutchAnalyzer,
    Vocabulary,
    build_vocabulary,
    char_ngrams,
    words,
)
from index.cues import Language, answer_pattern, query_language
from index.dense import DenseIndex
from index.embed import MAX_QUERY_CHARS, Embedder
from index.encoders.base import cache_identity
from index.errors import IndexBuildError, IndexError_, IndexLoadError
from index.glossary import QueryExpander, extract_glossary
from index.models import (
    FORMAT_VERSION,
    Explanation,
    Hit,
    IndexConfig,
    Manifest,
    SearchMode,
    Sentence,
    SourceRecord,
)
from index.sparse import SparseIndex
from index.translate import QueryTranslator, build_table, dictionary_pairs
from ingest.models import Passage
from ingest.sentences import split_sentence_spans

ProgressCallback = Callable[[str, int, int], None]  # (stage, done, total)
logger = logging.getLogger(__name__)

# Passage vector = normalised mean of its sentence vectors + TITLE_WEIGHT x its section
# title's vector. One embedding pass over sentences serves both the passage index and the
# answerer, and long passages are not truncated at the model's 256 tokens.
PASSAGE_VECTORS = "sentence-mean+title"
TITLE_WEIGHT = 0.3
QUERY_ENCODER_FILE = "query_encoder.onnx"
TRANSLATIONS_FILE = "translations.json"
_SCRATCH = ".scratch"  # in the temporary build directory, removed before the checksums
ONNX_ENCODERS = ("onnx", "onnx-int8")  # query encoders served from QUERY_ENCODER_FILE

# Hybrid fusion (see `HybridIndex._fuse`): candidates are the top CANDIDATES of each
# signal; each signal is min-max normalised over the candidates and weighted by
# FUSION_WEIGHTS[query language]. Signals: "bm25" (words), "chars" (character 4-grams),
# "dense" (cosine), "cue" (1 if the passage holds what the question asks for: a number
# for hoeveel/how many, a date for wanneer/when; absent for other questions).
# Dutch weights: a grid search (bm25 fixed at 1; others in 0, 0.1, 0.2, 0.3, 0.5) fitted on
# all gold questions; its 5-fold cross-validated result is what we report (bench/
# retrieval_table.py --cv). English: only 10 gold questions, too few to fit; word BM25
# with a Dutch stemmer cannot match English words, so for an English query "bm25" scores
# its dictionary translation (index/translate.py: each English content word replaced by
# its Dutch words, names and acronyms kept) and the three signals weigh the same. These
# weights are recorded in the manifest; when no table is in use (MINUSMA_TRANSLATE_ENGLISH
# off, the default, or an index built without the dictionaries) the loaded index gives
# English "bm25" no weight (`_without_untranslated_bm25`).
CANDIDATES = 50
FUSION_WEIGHTS: dict[Language, dict[str, float]] = {
    "nl": {"bm25": 1.0, "dense": 0.2, "chars": 0.2, "cue": 0.5},
    "en": {"bm25": 1.0, "dense": 1.0, "chars": 1.0, "cue": 0.5},
}

_EMBED_BATCH = 256
_QUERY_CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class _Built:
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    passage_vectors: np.ndarray
    vocabulary: Vocabulary
    glossary: dict[str, str]
    documents: list[list[str]]
    char_documents: list[list[str]]
    translations: dict[str, list[str]]


# --------------------------------------------------------------------------- build


def build_index(
    passages: Sequence[Passage],
    index_dir: Path,
    *,
    config: IndexConfig,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> Manifest:
    """Build the index of `passages` into `index_dir`, atomically; return its manifest.

    `progress` shows tqdm bars; `on_progress(stage, done, total)` is called as work
    advances (an exception raised from it aborts the build and leaves any previous index
    untouched).
    """
    started = time.perf_counter()
    _check_passages(passages)
    index_dir = Path(index_dir)
    _recover(index_dir)
    remove_stale_temp_dirs(index_dir)
    with _locked_temp_dir(index_dir) as tmp:
        try:
            reporter = _Reporter(progress=progress, callback=on_progress)
            exports = _OnnxExports(config, scratch=tmp / _SCRATCH)
            embedder = _embedder(config, exports=exports)
            built = _compute(passages, embedder, reporter, dictionary_dir=config.dictionary_dir)
            manifest = _write(
                tmp,
                passages,
                built,
                config=config,
                embedder=embedder,
                started=started,
                exports=exports,
            )
            _swap_into_place(tmp, index_dir)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(exc, OSError) and not isinstance(exc, IndexError_):
                raise _write_error(exc, index_dir, config) from exc
            raise
    return manifest


def _write_error(exc: OSError, index_dir: Path, config: IndexConfig) -> IndexBuildError:
    """A failed write (disk full, no permission) as one message naming the fix; the
    previous index is untouched."""
    where = f" ({exc.filename})" if exc.filename else ""
    cache = f", MINUSMA_CACHE_DIR (now {config.cache_dir})" if config.cache_dir else ""
    return IndexBuildError(
        f"index build failed: {exc.strerror or exc}{where}; the previous index at {index_dir} "
        f"is untouched. Free space or choose writable directories (--index-dir / "
        f"MINUSMA_INDEX_DIR{cache})"
    )


def _check_passages(passages: Sequence[Passage]) -> None:
    if not passages:
        raise IndexBuildError("no passages to index; check that the source files have text")
    ids = [p.passage_id for p in passages]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise IndexBuildError(f"duplicate passage ids {dupes}; re-run the ingest")


def _temp_prefix(index_dir: Path) -> str:
    return f".{index_dir.name}.tmp-"


def _old_prefix(index_dir: Path) -> str:
    """Where the fallback swap (no renameat2) moves the previous index aside."""
    return f".{index_dir.name}.old-"


def _make_temp_dir(index_dir: Path, prefix: str) -> Path:
    try:
        index_dir.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=index_dir.parent))
    except OSError as exc:
        raise IndexBuildError(
            f"cannot write next to {index_dir} ({exc.strerror}); choose a writable "
            "--index-dir or set MINUSMA_INDEX_DIR"
        ) from exc


@contextmanager
def _locked_temp_dir(index_dir: Path, prefix: str | None = None) -> Iterator[Path]:
    """A new temporary sibling of `index_dir` (named `prefix`..., default the build's
    prefix), flock-ed for as long as the build runs.

    The kernel drops the lock when the process dies, even by SIGKILL, so an unlocked
    temporary directory is one no live build is writing (`remove_stale_temp_dirs`).
    """
    while True:
        tmp = _make_temp_dir(index_dir, prefix or _temp_prefix(index_dir))
        try:
            fd = os.open(tmp, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            continue  # a cleaner removed it before we could lock it: make another
        # Waits only while a cleaner deletes it. Without flock on this filesystem the
        # cleaners cannot lock it either, so they keep it.
        with suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        if _still_at(fd, tmp):
            break
        os.close(fd)  # a cleaner removed it between mkdtemp and flock: make another
    try:
        yield tmp
    finally:
        os.close(fd)


def pipeline_fingerprint() -> str:
    """SHA-256 over the source of the `ingest` and `index` packages (file names and bytes).

    Stored in the manifest; `minusma-qa index --if-needed` rebuilds when it differs, so an
    index built by older code is never served after an upgrade of the code.
    """
    digest = hashlib.sha256()
    for package in ("ingest", "index"):
        root = Path(__file__).resolve().parent.parent / package
        for path in sorted(root.glob("*.py")):
            digest.update(f"{package}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def remove_stale_temp_dirs(index_dir: Path) -> list[Path]:
    """Delete the temporary build directories of `index_dir` that no live build holds.

    Returns the directories removed. A directory a running build is writing is locked by
    that build and always kept; so is every one when the filesystem has no flock.
    """
    prefixes = [_temp_prefix(index_dir)]
    if (index_dir / "manifest.json").is_file():
        # An index is in place, so a previous one moved aside by the fallback swap and not
        # deleted (the build was killed between its last rename and the delete) is garbage.
        prefixes.append(_old_prefix(index_dir))
    paths = [
        Path(path)
        for prefix in prefixes
        for path in sorted(glob.glob(glob.escape(str(index_dir.parent / prefix)) + "*"))
    ]
    removed = [path for path in paths if _remove_if_unlocked(path)]
    for path in removed:
        logger.info("removed %s, left by an index build that did not finish", path)
    return removed


def _remove_if_unlocked(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False  # removed meanwhile, or not a directory
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False  # a live build holds it (or the filesystem has no flock)
    try:
        if not _still_at(fd, path):
            return False
        shutil.rmtree(path, ignore_errors=True)
        return not path.exists()
    finally:
        os.close(fd)


def _still_at(fd: int, path: Path) -> bool:
    """True when the directory open as `fd` is the one at `path`."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


def _swap_into_place(tmp: Path, index_dir: Path) -> None:
    """Put the finished build at `index_dir`; at every instant one complete index is there."""
    if index_dir.exists() and _exchange(tmp, index_dir):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous index
        return
    # No atomic exchange (not Linux, or a filesystem without it): move the old index aside
    # first; `_recover` puts it back if a crash falls between the two renames, and a later
    # build or load removes it if the crash falls after them. Locked meanwhile, so neither
    # touches it while this build runs.
    if not index_dir.exists():
        os.rename(tmp, index_dir)
        return
    with _locked_temp_dir(index_dir, _old_prefix(index_dir)) as old:
        os.rename(index_dir, old / "index")
        os.rename(tmp, index_dir)
        shutil.rmtree(old, ignore_errors=True)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two directories atomically (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return bool(done == 0)


def _recover(index_dir: Path) -> None:
    """Restore the previous index if a crash left it moved aside with nothing in its place."""
    if index_dir.exists() or not index_dir.parent.is_dir():
        return
    moved = sorted(
        index_dir.parent.glob(f"{glob.escape(_old_prefix(index_dir))}*/index"),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for candidate in moved:
        if (candidate / "manifest.json").is_file() and not _locked(candidate.parent):
            os.rename(candidate, index_dir)
            return


def _locked(path: Path) -> bool:
    """Whether a live build holds `path`'s lock (False without flock on this filesystem)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # closing also releases a lock taken just now
    return False


def _embedder(
    config: IndexConfig, *, index_dir: Path | None = None, exports: _OnnxExports | None = None
) -> Embedder:
    onnx = config.query_encoder in ONNX_ENCODERS and index_dir is not None
    return Embedder(
        config.model,
        model_label=config.model_label,
        query_prefix=config.query_prefix,
        passage_prefix=config.passage_prefix,
        cache_dir=config.cache_dir,
        query_encoder_path=index_dir / QUERY_ENCODER_FILE if onnx and index_dir else None,
        document_encoder=exports.float_graph if exports and exports.wanted else None,
    )


def _compute(
    passages: Sequence[Passage], embedder: Embedder, reporter: _Reporter, *, dictionary_dir: Path
) -> _Built:
    reporter.stage("analyse", 0, len(passages))
    vocabulary = build_vocabulary([p.text for p in passages] + [p.section_title for p in passages])
    analyzer = DutchAnalyzer(vocabulary)
    documents = [analyzer.analyze(_bm25_text(p)) for p in passages]
    char_documents = [char_ngrams(_bm25_text(p)) for p in passages]
    glossary = extract_glossary(p.text for p in passages)
    translations = _translation_table(documents, analyzer, dictionary_dir=dictionary_dir)
    reporter.stage("analyse", len(passages), len(passages))
    sentences = [s for p in passages for s in _split(p)]
    titles = sorted({p.section_title for p in passages if p.section_title.strip()})
    texts = [s.text for s in sentences] + titles
    vectors = _embed_in_batches(embedder, texts, reporter)
    sentence_vectors = vectors[: len(sentences)]
    title_vectors = dict(zip(titles, vectors[len(sentences) :], strict=True))
    passage_vectors = _passage_vectors(passages, sentences, sentence_vectors, title_vectors)
    return _Built(
        sentences,
        sentence_vectors,
        passage_vectors,
        vocabulary,
        glossary,
        documents,
        char_documents,
        translations,
    )


def _translation_table(
    documents: Sequence[Sequence[str]], analyzer: DutchAnalyzer, *, dictionary_dir: Path
) -> dict[str, list[str]]:
    """English stem -> Dutch words whose BM25 stem the passages have (as a word, an
    inflection or a compound part: `ongeluk` for `ongelukken`, `mortierongeluk`); {}
    without the FreeDict dictionaries."""
    pairs = dictionary_pairs(dictionary_dir)
    if pairs is None:
        logger.warning(
            "no FreeDict dictionaries in %s (apt-get install dict-freedict-eng-nld "
            "dict-freedict-nld-eng): English queries are not translated",
            dictionary_dir,
        )
        return {}
    stems = {term for doc in documents for term in doc}

    def in_report(dutch: str) -> bool:
        terms = analyzer.analyze(dutch)
        return bool(terms) and terms[0] in stems  # the whole word's stem

    return build_table(pairs, in_report=in_report)


def _bm25_text(passage: Passage) -> str:
    return f"{passage.section_title}\n{passage.text}"


def _split(passage: Passage) -> list[Sentence]:
    spans = split_sentence_spans(passage.text)
    if not spans and passage.text.strip():
        text = passage.text.strip()
        start = passage.text.index(text)
        return [Sentence(passage.passage_id, start, start + len(text), text)]
    return [Sentence(passage.passage_id, s.start, s.end, s.text) for s in spans]


def _embed_in_batches(embedder: Embedder, texts: list[str], reporter: _Reporter) -> np.ndarray:
    """Vectors of `texts` in their order, embedded in chunks (for the progress report) of
    texts sorted by length, so the model's batches pad little."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    parts: list[np.ndarray] = []
    reporter.stage("embed", 0, len(texts))
    for start in range(0, len(texts), _EMBED_BATCH):
        chunk = [texts[i] for i in order[start : start + _EMBED_BATCH]]
        parts.append(embedder.embed_passages(chunk))
        reporter.stage("embed", min(start + _EMBED_BATCH, len(texts)), len(texts))
    vectors = np.concatenate(parts).astype(np.float32, copy=False)
    out = np.empty_like(vectors)
    out[order] = vectors
    return out


def _passage_vectors(
    passages: Sequence[Passage],
    sentences: list[Sentence],
    sentence_vectors: np.ndarray,
    title_vectors: dict[str, np.ndarray],
) -> np.ndarray:
    dim = sentence_vectors.shape[1]
    rows: dict[str, list[int]] = {}
    for row, sentence in enumerate(sentences):
        rows.setdefault(sentence.passage_id, []).append(row)
    out = np.zeros((len(passages), dim), dtype=np.float32)
    for i, passage in enumerate(passages):
        own = rows.get(passage.passage_id, [])
        vec = sentence_vectors[own].mean(axis=0) if own else np.zeros(dim, dtype=np.float32)
        title = title_vectors.get(passage.section_title)
        if title is not None:
            vec = vec + TITLE_WEIGHT * title
        out[i] = vec
    return _normalise(out)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def _write(
    directory: Path,
    passages: Sequence[Passage],
    built: _Built,
    *,
    config: IndexConfig,
    embedder: Embedder,
    started: float,
    exports: _OnnxExports,
) -> Manifest:
    _write_jsonl(directory / "passages.jsonl", (p.to_dict() for p in passages))
    _write_jsonl(
        directory / "sentences.jsonl",
        ({"passage_id": s.passage_id, "start": s.start, "end": s.end} for s in built.sentences),
    )
    np.save(directory / "sentences.npy", built.sentence_vectors)
    DenseIndex.build(built.passage_vectors, kind=config.faiss_index_type).save(
        directory / "passages.faiss"
    )
    SparseIndex.build(built.documents).save(directory / "bm25")
    SparseIndex.build(built.char_documents).save(directory / "bm25-chars")
    _write_json(directory / "vocabulary.json", built.vocabulary.to_dict())
    _write_json(directory / "glossary.json", built.glossary)
    _write_json(directory / TRANSLATIONS_FILE, built.translations)
    if exports.wanted:
        exports.write_query_encoder(directory / QUERY_ENCODER_FILE)
    shutil.rmtree(directory / _SCRATCH, ignore_errors=True)
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        embedding_model=config.model_label,
        dimension=int(built.passage_vectors.shape[1]),
        normalised=True,
        query_prefix=config.query_prefix,
        passage_prefix=config.passage_prefix,
        faiss_index_type=config.faiss_index_type,
        passage_vectors=f"{PASSAGE_VECTORS}:{TITLE_WEIGHT}",
        max_passage_tokens=config.max_passage_tokens,
        sources=_sources(passages),
        counts={
            "passages": len(passages),
            "sentences": len(built.sentences),
            "glossary": len(built.glossary),
            "translations": len(built.translations),
            "bm25_terms": len({t for doc in built.documents for t in doc}),
            "embedded": embedder.embedded,
            "cache_hits": embedder.cache_hits,
        },
        files=_checksums(directory),
        build_seconds=round(time.perf_counter() - started, 3),
        fusion={lang: dict(weights) for lang, weights in FUSION_WEIGHTS.items()},
        pipeline=pipeline_fingerprint(),
        query_encoder=config.query_encoder,
    )
    _write_json(directory / "manifest.json", manifest.to_dict())
    return manifest


def _sources(passages: Sequence[Passage]) -> tuple[SourceRecord, ...]:
    seen = dict.fromkeys((p.source, p.source_sha256) for p in passages)
    return tuple(SourceRecord(source=s, sha256=h) for s, h in seen)


class _OnnxExports:
    """The model's ONNX exports for one build (MINUSMA_QUERY_ENCODER=onnx or onnx-int8).

    The float export embeds the report's sentences at build time (`Embedder`'s document
    encoder) and is itself the `onnx` query encoder; `onnx-int8` quantises it (see
    `quantize_query_encoder`). Each is made at most once per build, only when needed, and
    kept in the cache directory under the model's identity and the exporter's versions, so
    a rebuild with the same model copies it (the export takes ~4 s, the quantisation ~1 s).
    """

    def __init__(self, config: IndexConfig, *, scratch: Path) -> None:
        self.config = config
        self.wanted = config.query_encoder in ONNX_ENCODERS
        self._scratch = scratch  # for the exports when there is no cache directory
        self._float: Path | None = None

    def float_graph(self) -> Path:
        """The float export's path (made now if neither this build nor the cache has it)."""
        if self._float is None:
            self._check_local_model()
            from index.encoders.onnx import export_query_encoder

            self._float = self._cached("onnx", export_query_encoder)
        return self._float

    def write_query_encoder(self, out: Path) -> None:
        """Write the query encoder the settings ask for to `out`."""
        self._check_local_model()
        if self.config.query_encoder == "onnx":
            shutil.copyfile(self.float_graph(), out)
            return
        from index.encoders.onnx import quantize_query_encoder

        def quantise(_model: str, target: Path) -> None:
            quantize_query_encoder(self.float_graph(), target)

        shutil.copyfile(self._cached("onnx-int8", quantise), out)

    def _cached(self, kind: str, make: Callable[[str, Path], None]) -> Path:
        """The `kind` export, from the cache when its checksum holds, else made by `make`.

        It is made in the build's own temporary directory (a killed build's is removed by
        the next one, see `remove_stale_temp_dirs`), then copied into the cache under a
        temporary name and renamed, so the cache never holds a partial export for long.
        """
        cached = _cached_export_path(self.config, kind)
        if cached is not None and _intact(cached):
            return cached
        made = self._scratch / f"{kind}.onnx"
        made.parent.mkdir(parents=True, exist_ok=True)
        make(self.config.model, made)
        if cached is None:
            return made
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        try:
            shutil.copyfile(made, partial)
            os.replace(partial, cached)  # readers never see a half-written export
            _write_atomically(_checksum_file(cached), _sha256(cached))
        finally:
            partial.unlink(missing_ok=True)
        return cached

    def _check_local_model(self) -> None:
        if not (Path(self.config.model) / "tokenizer.json").is_file():
            raise IndexBuildError(
                f"MINUSMA_QUERY_ENCODER={self.config.query_encoder} needs a local model folder "
                f"with tokenizer.json, not {self.config.model!r}; use a local path or "
                "MINUSMA_QUERY_ENCODER=torch"
            )


def _checksum_file(path: Path) -> Path:
    return path.with_name(f"{path.name}.sha256")


def _intact(path: Path) -> bool:
    """Whether `path` exists and matches the checksum written beside it (a damaged or
    half-copied cache entry is made again instead of breaking every later build)."""
    try:
        expected = _checksum_file(path).read_text(encoding="ascii").strip()
        return expected == _sha256(path)
    except OSError:
        return False


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="ascii")
    os.replace(partial, path)


def _cached_export_path(config: IndexConfig, kind: str) -> Path | None:
    """Where the cache keeps this model's `kind` export, or None without a cache directory."""
    if config.cache_dir is None:
        return None
    from importlib.metadata import version

    versions = "|".join(version(name) for name in ("torch", "onnx", "onnxruntime"))
    identity = f"{cache_identity(config.model, config.model_label)}|{versions}"
    key = hashlib.sha256(identity.encode()).hexdigest()[:24]
    return Path(config.cache_dir) / "onnx" / f"{kind}-{key}.onnx"


def _checksums(directory: Path) -> dict[str, str]:
    return {
        path.relative_to(directory).as_posix(): _sha256(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != "manifest.json"
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_jsonl(path: Path, rows: Any) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


class _Reporter:
    """Progress: optional tqdm bars per stage and an optional callback."""

    def __init__(self, *, progress: bool, callback: ProgressCallback | None) -> None:
        self._progress = progress
        self._callback = callback
        self._bars: dict[str, Any] = {}

    def stage(self, name: str, done: int, total: int) -> None:
        if self._progress:
            from tqdm import tqdm

            bar = self._bars.get(name)
            if bar is None:
                bar = self._bars[name] = tqdm(total=total, desc=name, unit="item", leave=True)
            bar.update(done - bar.n)
            if done >= total:
                bar.close()
        if self._callback is not None:
            self._callback(name, done, total)


# --------------------------------------------------------------------------- load

_REBUILD = "rebuild it with `minusma-qa index`"


def load_index(index_dir: Path, *, config: IndexConfig) -> HybridIndex:
    """Open an index directory; raise IndexLoadError (naming the fix) if it is unusable."""
    index_dir = Path(index_dir)
    _recover(index_dir)
    remove_stale_temp_dirs(index_dir)
    manifest = _read_manifest(index_dir)
    _check_config(manifest, config, index_dir)
    _check_files(manifest, index_dir)
    try:
        return HybridIndex._open(index_dir, manifest=manifest, config=config)
    except IndexError_:
        raise
    except Exception as exc:
        raise IndexLoadError(
            f"index at {index_dir} cannot be read ({type(exc).__name__}: {exc}); {_REBUILD}"
        ) from exc


def _read_manifest(index_dir: Path) -> Manifest:
    path = index_dir / "manifest.json"
    if not path.is_file():
        raise IndexLoadError(
            f"no index at {index_dir} (manifest.json missing); build it with "
            f"`minusma-qa index --index-dir {index_dir}`"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexLoadError(f"{path} is unreadable or corrupted; {_REBUILD}") from exc
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        found = data.get("format_version") if isinstance(data, dict) else None
        raise IndexLoadError(
            f"index at {index_dir} has format version {found}, this version reads "
            f"{FORMAT_VERSION}; {_REBUILD}"
        )
    try:
        return Manifest.from_dict(data)
    except (KeyError, TypeError) as exc:
        raise IndexLoadError(f"{path} is incomplete or corrupted ({exc}); {_REBUILD}") from exc


def _check_config(manifest: Manifest, config: IndexConfig, index_dir: Path) -> None:
    checks = [
        ("embedding model", manifest.embedding_model, config.model_label, "EMBEDDING_MODEL"),
        ("query prefix", manifest.query_prefix, config.query_prefix, "QUERY_PREFIX"),
        ("passage prefix", manifest.passage_prefix, config.passage_prefix, "PASSAGE_PREFIX"),
        (
            "FAISS index type",
            manifest.faiss_index_type,
            config.faiss_index_type,
            "FAISS_INDEX_TYPE",
        ),
        (
            "max passage tokens",
            manifest.max_passage_tokens,
            config.max_passage_tokens,
            "MAX_PASSAGE_TOKENS",
        ),
    ]
    for what, built, wanted, env in checks:
        if built != wanted:
            raise IndexLoadError(
                f"index at {index_dir} was built with {what} {built!r} but the settings say "
                f"{wanted!r}; {_REBUILD} or set MINUSMA_{env}={built}"
            )
    _check_query_encoder(manifest, config, index_dir)


def _check_query_encoder(manifest: Manifest, config: IndexConfig, index_dir: Path) -> None:
    """An ONNX index only adds the ONNX export, so torch serves it too; an ONNX setting needs
    an index with that very export ("onnx" and "onnx-int8" differ)."""
    wanted, built = config.query_encoder, manifest.query_encoder
    if wanted in ONNX_ENCODERS and built != wanted:
        raise IndexLoadError(
            f"index at {index_dir} was built with query encoder {built!r} but the settings "
            f"say {wanted!r}; {_REBUILD} or set MINUSMA_QUERY_ENCODER={built}"
        )


def _check_files(manifest: Manifest, index_dir: Path) -> None:
    if not manifest.files:
        raise IndexLoadError(f"{index_dir}/manifest.json lists no files; {_REBUILD}")
    for name, digest in manifest.files.items():
        path = index_dir / name
        if not path.is_file():
            raise IndexLoadError(f"index file {path} is missing; {_REBUILD}")
        if _sha256(path) != digest:
            raise IndexLoadError(f"index file {path} is corrupted (checksum mismatch); {_REBUILD}")


# --------------------------------------------------------------------------- search


class HybridIndex:
    """A loaded index: passages, dense + BM25 search, fusion, and sentence data."""

    def __init__(
        self,
        *,
        manifest: Manifest,
        passages: list[Passage],
        dense: DenseIndex,
        sparse: SparseIndex,
        sentences: list[Sentence],
        sentence_vectors: np.ndarray,
        vocabulary: Vocabulary,
        glossary: dict[str, str],
        embedder: Embedder,
        chars: SparseIndex | None = None,
        translations: Mapping[str, list[str]] | None = None,
    ) -> None:
        """`chars` is None only for an index made in memory without the n-gram field
        (bench/bench_scale.py); its "chars" signal is then 0 for every passage.
        Without `translations` (or with an empty table) English queries get no "bm25"."""
        self.manifest = manifest
        self.passages = passages
        self._dense = dense
        self._vectors = dense.vectors()
        self._sparse = sparse
        self._chars = chars
        self._translator = QueryTranslator(translations or {})
        self._fusion = _without_untranslated_bm25(
            manifest.fusion or FUSION_WEIGHTS, translated=len(self._translator) > 0
        )
        self._cue_rows: dict[str, np.ndarray] = {}
        self._embedder = embedder
        self._analyzer = DutchAnalyzer(vocabulary)
        self._glossary = glossary
        self._expander = QueryExpander(glossary, common_words=vocabulary.common)
        self._question_terms = frozenset(self._analyzer.analyze(" ".join(QUESTION_WORDS)))
        self._position = {p.passage_id: i for i, p in enumerate(passages)}
        self._sentence_rows = _rows_by_passage(sentences)
        self._sentences = sentences
        self._sentence_vectors = sentence_vectors
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def _open(cls, index_dir: Path, *, manifest: Manifest, config: IndexConfig) -> HybridIndex:
        passages = [Passage.from_dict(row) for row in _read_jsonl(index_dir / "passages.jsonl")]
        by_id = {p.passage_id: p for p in passages}
        sentences = [
            Sentence(
                row["passage_id"],
                row["start"],
                row["end"],
                by_id[row["passage_id"]].text[row["start"] : row["end"]],
            )
            for row in _read_jsonl(index_dir / "sentences.jsonl")
        ]
        vocabulary = Vocabulary.from_dict(_read_json(index_dir / "vocabulary.json"))
        index = cls(
            manifest=manifest,
            passages=passages,
            dense=DenseIndex.load(index_dir / "passages.faiss"),
            sparse=SparseIndex.load(index_dir / "bm25", n_docs=len(passages)),
            chars=SparseIndex.load(index_dir / "bm25-chars", n_docs=len(passages)),
            sentences=sentences,
            sentence_vectors=np.load(index_dir / "sentences.npy", allow_pickle=False),
            vocabulary=vocabulary,
            glossary=_read_json(index_dir / "glossary.json"),
            embedder=_embedder(config, index_dir=index_dir),
            translations=_translations_if_wanted(index_dir, config),
        )
        index._check_shapes()
        return index

    def _check_shapes(self) -> None:
        problems = []
        if self._dense.size != len(self.passages):
            problems.append(f"{self._dense.size} vectors for {len(self.passages)} passages")
        if self._sentence_vectors.shape[0] != len(self._sentences):
            problems.append("sentence vectors and sentences differ in number")
        if self._dense.dimension != self.manifest.dimension:
            problems.append("vector dimension differs from the manifest")
        if problems:
            raise IndexLoadError(f"index is inconsistent ({'; '.join(problems)}); {_REBUILD}")

    # ---- lookups

    def passage(self, passage_id: str) -> Passage | None:
        """The passage with this id, or None."""
        position = self._position.get(passage_id)
        return None if position is None else self.passages[position]

    def neighbours(self, passage_id: str) -> tuple[str | None, str | None]:
        """(previous id, next id) in document order; (None, None) for an unknown id."""
        position = self._position.get(passage_id)
        if position is None:
            return None, None
        prev_id = self.passages[position - 1].passage_id if position > 0 else None
        next_id = (
            self.passages[position + 1].passage_id if position + 1 < len(self.passages) else None
        )
        return prev_id, next_id

    def sentences(self, passage_id: str) -> list[Sentence]:
        """The passage's sentences (precomputed at build time); [] for an unknown id."""
        start, stop = self._sentence_rows.get(passage_id, (0, 0))
        return self._sentences[start:stop]

    def sentence_vectors(self, passage_id: str) -> np.ndarray:
        """(n_sentences, dim) normalised vectors, aligned with `sentences(passage_id)`."""
        start, stop = self._sentence_rows.get(passage_id, (0, 0))
        return self._sentence_vectors[start:stop]

    def glossary(self) -> dict[str, str]:
        """Acronym -> long form, as extracted from the report."""
        return dict(self._glossary)

    def analyze(self, text: str) -> list[str]:
        """The BM25 analyzer's terms for `text` (stems and compound parts)."""
        return self._analyzer.analyze(text[:MAX_QUERY_CHARS])

    # ---- embeddings

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) L2-normalised query vectors (prefix and acronym expansion applied)."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._query_cache))
        if missing:
            vectors = self._embedder.embed_queries([self._dense_query(t) for t in missing])
            self._check_dimension(vectors)
            with self._lock:
                for text, vec in zip(missing, vectors, strict=True):
                    vec.setflags(write=False)
                    self._query_cache[text] = vec
                    self._query_cache.move_to_end(text)
                while len(self._query_cache) > _QUERY_CACHE_SIZE:
                    self._query_cache.popitem(last=False)
        with self._lock:
            rows = [self._query_cache.get(t) for t in texts]
        if any(r is None for r in rows):  # evicted meanwhile by another thread
            return self._embedder.embed_queries([self._dense_query(t) for t in texts])
        return np.stack([r for r in rows if r is not None]) if rows else self._empty()

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) query vector, LRU-cached: search and answer share one model call."""
        return self.embed_queries([text])[0]

    def _empty(self) -> np.ndarray:
        return np.zeros((0, self.manifest.dimension), dtype=np.float32)

    def _dense_query(self, text: str) -> str:
        text = text[:MAX_QUERY_CHARS]
        extra = self._expander.expansions(text)
        return f"{text} ({'; '.join(extra)})" if extra else text

    def _check_dimension(self, vectors: np.ndarray) -> None:
        if vectors.shape[1] != self.manifest.dimension:
            raise IndexLoadError(
                f"the model gives {vectors.shape[1]}-dimensional vectors but the index has "
                f"{self.manifest.dimension}; {_REBUILD}"
            )

    # ---- search

    def search(self, query: str, *, k: int = 10, mode: SearchMode = "hybrid") -> list[Hit]:
        """The k best passages for `query`; [] for a query without searchable words."""
        return self.batch_search([query], k=k, mode=mode)[0]

    def batch_search(
        self, queries: Sequence[str], *, k: int = 10, mode: SearchMode = "hybrid"
    ) -> list[list[Hit]]:
        """`search` for many queries; the query embeddings are computed in one batch."""
        if mode not in ("hybrid", "bm25", "dense"):
            raise ValueError(f"unknown search mode {mode!r}; use hybrid, bm25 or dense")
        terms = [self._query_terms(q) for q in queries]
        searchable = [q for q, t in zip(queries, terms, strict=True) if t]
        if mode != "bm25" and searchable:
            self.embed_queries(searchable)  # one batch; `_search_one` reads the cache
        return [
            self._search_one(q, t, k=k, mode=mode) if t and k > 0 else []
            for q, t in zip(queries, terms, strict=True)
        ]

    def explain(self, query: str, passage_id: str) -> Explanation | None:
        """Where `passage_id` ranks for `query` under each signal and which query terms it
        shares; None for an unknown passage or a query without searchable words."""
        position = self._position.get(passage_id)
        terms = self._query_terms(query)
        if position is None or not terms:
            return None
        signals = self._signals(query, terms)
        fused = [i for i, _ in fuse(signals, self._fusion[signals.language])]
        passage = self.passages[position]
        own = set(self._analyzer.analyze(_bm25_text(passage)))
        return Explanation(
            passage_id=passage_id,
            fused_rank=fused.index(position) + 1 if position in fused else None,
            bm25_rank=_rank_of(signals.bm25, position),
            chars_rank=_rank_of(signals.chars, position),
            dense_rank=_rank_of(signals.dense, position),
            shared_terms=tuple(t for t in terms if t in own),
        )

    def signal_scores(self, query: str) -> Signals:
        """Every signal's score of every passage for `query`, in passage order (for bench)."""
        return self._signals(query, self._query_terms(query))

    def _signals(self, query: str, terms: list[str]) -> Signals:
        pattern = answer_pattern(query[:MAX_QUERY_CHARS])
        return Signals(
            language=query_language(query[:MAX_QUERY_CHARS]),
            bm25=self._sparse.scores(self._bm25_terms(query, terms)),
            chars=self._char_scores(query),
            dense=self._vectors @ self.embed_query(query),
            cue=None if pattern is None else self._cue(pattern),
        )

    def _char_scores(self, query: str) -> np.ndarray:
        if self._chars is None:
            return np.zeros(len(self.passages), dtype=np.float32)
        question = set(QUESTION_WORDS)
        text = " ".join(w for w in words(query[:MAX_QUERY_CHARS]) if w not in question)
        return self._chars.scores(list(dict.fromkeys(char_ngrams(text))))

    def _cue(self, pattern: re.Pattern[str]) -> np.ndarray:
        """1.0 for passages matching `pattern`, else 0.0 (cached per pattern)."""
        rows = self._cue_rows.get(pattern.pattern)
        if rows is None:
            rows = np.array([bool(pattern.search(p.text)) for p in self.passages], np.float32)
            self._cue_rows[pattern.pattern] = rows
        return rows

    def _query_terms(self, query: str) -> list[str]:
        """BM25 query terms: analysed words minus question words, once each, plus the
        acronyms of spelled-out long forms. Acronyms are not expanded to their long forms
        here: the report mostly uses the acronym, so the long form's words would only
        favour the one passage that defines it (measured: Dutch recall@5 0.70 -> 0.74)."""
        text = query[:MAX_QUERY_CHARS]
        terms = [t for t in self._analyzer.analyze(text) if t not in self._question_terms]
        if not terms:
            return []
        extra = self._expander.acronyms(text)
        if extra:
            terms += self._analyzer.analyze(" ".join(extra))
        return list(dict.fromkeys(terms))

    def _bm25_terms(self, query: str, terms: list[str]) -> list[str]:
        """`terms`, or for an English query those of its Dutch translation (the original
        terms when nothing translates)."""
        text = query[:MAX_QUERY_CHARS]
        translated = self.translate(text)
        return terms if translated == text else self._query_terms(translated) or terms

    def translate(self, query: str) -> str:
        """The Dutch words BM25 searches for an English `query`; the query itself otherwise."""
        text = query[:MAX_QUERY_CHARS]
        if not len(self._translator) or query_language(text) != "en":
            return text
        return self._translator.translate(text)

    def _search_one(self, query: str, terms: list[str], *, k: int, mode: SearchMode) -> list[Hit]:
        if mode == "bm25":
            sparse = self._sparse.scores(self._bm25_terms(query, terms))
            top = [(int(i), float(sparse[i])) for i in _top(sparse, k) if sparse[i] > 0]
            return self._hits(top, sparse=sparse, dense=None)
        qvec = self.embed_query(query)
        if mode == "dense":
            scores, ids = self._dense.search(qvec[None, :], k=k)
            top = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
            return self._hits(top, sparse=None, dense=self._vectors @ qvec)
        signals = self._signals(query, terms)
        ranking = fuse(signals, self._fusion[signals.language])[:k]
        return self._hits(ranking, sparse=signals.bm25, dense=signals.dense)

    def _hits(
        self,
        ranking: Sequence[tuple[int, float]],
        *,
        sparse: np.ndarray | None,
        dense: np.ndarray | None,
    ) -> list[Hit]:
        return [
            Hit(
                passage=self.passages[i],
                score=float(score),
                rank=rank,
                dense_score=None if dense is None else float(dense[i]),
                sparse_score=None if sparse is None else float(sparse[i]),
            )
            for rank, (i, score) in enumerate(ranking, start=1)
        ]


@dataclass(frozen=True, slots=True)
class Signals:
    """One query's scores of every passage, per signal (passage order)."""

    language: Language
    bm25: np.ndarray  # BM25 over the word analyzer's terms
    chars: np.ndarray  # BM25 over character n-grams
    dense: np.ndarray  # cosine of the query and passage vectors
    cue: np.ndarray | None  # 1/0: passage holds the asked-for number/date; None if no cue


def fuse(signals: Signals, weights: Mapping[str, float]) -> fusion.Ranked:
    """Weighted sum of the signals, each min-max normalised over the candidates.

    Candidates: the top CANDIDATES passages of each weighted signal (lexical ones only
    where they score > 0). Min-max over candidates (not RRF) because the English model's
    cosines sit in a narrow band: rank fusion gives its noise the same say as BM25's
    evidence, while scaled scores with dense as the minority let it reorder BM25's
    near-ties (measured on the gold set: equal-weight RRF 0.55 vs this 0.75 Dutch
    recall@5 for words + dense; see README for the signals added since).
    """
    arrays = {"bm25": signals.bm25, "chars": signals.chars, "dense": signals.dense}
    candidates: set[int] = set()
    for name, scores in arrays.items():
        if weights.get(name, 0.0) > 0:
            top = _top(scores, CANDIDATES)
            candidates.update(top if name == "dense" else (i for i in top if scores[i] > 0))
    if signals.cue is not None:
        arrays["cue"] = signals.cue
    named = {name: {i: float(s[i]) for i in candidates} for name, s in arrays.items()}
    return fusion.weighted_minmax(named, weights)


def _without_untranslated_bm25(
    weights: Mapping[str, Mapping[str, float]] | Mapping[Language, Mapping[str, float]],
    *,
    translated: bool,
) -> dict[str, dict[str, float]]:
    """The fusion weights, with English "bm25" at 0 when there is no translation table
    (word BM25 of untranslated English words only adds noise)."""
    out = {lang: dict(w) for lang, w in weights.items()}
    if not translated and "en" in out:
        out["en"]["bm25"] = 0.0
    return out


def _top(scores: np.ndarray, k: int) -> list[int]:
    k = min(k, scores.shape[0])
    if k <= 0:
        return []
    part = np.argpartition(-scores, k - 1)[:k]
    return [int(i) for i in sorted(part, key=lambda i: (-scores[i], i))]


def _rank_of(scores: np.ndarray, position: int) -> int:
    """1-based rank of `position` in `scores` (ties share the better rank)."""
    return int(np.count_nonzero(scores > scores[position])) + 1


def _rows_by_passage(sentences: list[Sentence]) -> dict[str, tuple[int, int]]:
    rows: dict[str, tuple[int, int]] = {}
    for row, sentence in enumerate(sentences):
        start, _ = rows.get(sentence.passage_id, (row, row))
        rows[sentence.passage_id] = (start, row + 1)
    return rows


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _translations_if_wanted(index_dir: Path, config: IndexConfig) -> dict[str, list[str]]:
    """The table when the settings ask for English translation (a warning if the index has
    none: it was built without the FreeDict dictionaries), else {}."""
    if not config.translate_english:
        return {}
    table = _read_translations(index_dir)
    if not table:
        logger.warning(
            "MINUSMA_TRANSLATE_ENGLISH is on but %s has no translation table (built without "
            "the FreeDict dictionaries): install dict-freedict-eng-nld and dict-freedict-nld-eng "
            "and rebuild with `minusma-qa index`",
            index_dir,
        )
    return table


def _read_translations(index_dir: Path) -> dict[str, list[str]]:
    """The stored translation table; {} for an index from before translations existed."""
    path = index_dir / TRANSLATIONS_FILE
    return dict(_read_json(path)) if path.is_file() else {}


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
