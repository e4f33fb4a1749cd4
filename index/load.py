"""Open an index directory: check its manifest and files against the settings, then read it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from index.analysis import Vocabulary
from index.atomic import recover, remove_stale_temp_dirs
from index.dense import DenseIndex
from index.embed import Embedder
from index.errors import REBUILD, IndexError_, IndexLoadError
from index.hybrid import HybridIndex
from index.layout import (
    ONNX_ENCODERS,
    QUERY_ENCODER_FILE,
    TRANSLATIONS_FILE,
    read_json,
    read_jsonl,
    sha256,
)
from index.models import FORMAT_VERSION, IndexConfig, Manifest, Sentence
from index.sparse import SparseIndex
from ingest.models import Passage

logger = logging.getLogger(__name__)


def load_index(index_dir: Path, *, config: IndexConfig) -> HybridIndex:
    """Open an index directory; raise IndexLoadError (naming the fix) if it is unusable."""
    index_dir = Path(index_dir)
    recover(index_dir)
    remove_stale_temp_dirs(index_dir)
    manifest = _read_manifest(index_dir)
    _check_config(manifest, config, index_dir)
    _check_files(manifest, index_dir)
    try:
        return _open(index_dir, manifest=manifest, config=config)
    except IndexError_:
        raise
    except Exception as exc:
        raise IndexLoadError(
            f"index at {index_dir} cannot be read ({type(exc).__name__}: {exc}); {REBUILD}"
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
        raise IndexLoadError(f"{path} is unreadable or corrupted; {REBUILD}") from exc
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        found = data.get("format_version") if isinstance(data, dict) else None
        raise IndexLoadError(
            f"index at {index_dir} has format version {found}, this version reads "
            f"{FORMAT_VERSION}; {REBUILD}"
        )
    try:
        return Manifest.from_dict(data)
    except (KeyError, TypeError) as exc:
        raise IndexLoadError(f"{path} is incomplete or corrupted ({exc}); {REBUILD}") from exc


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
                f"{wanted!r}; {REBUILD} or set MINUSMA_{env}={built}"
            )
    _check_query_encoder(manifest, config, index_dir)


def _check_query_encoder(manifest: Manifest, config: IndexConfig, index_dir: Path) -> None:
    """An ONNX index only adds the ONNX export, so torch serves it too; an ONNX setting needs
    an index with that very export ("onnx" and "onnx-int8" differ)."""
    wanted, built = config.query_encoder, manifest.query_encoder
    if wanted in ONNX_ENCODERS and built != wanted:
        raise IndexLoadError(
            f"index at {index_dir} was built with query encoder {built!r} but the settings "
            f"say {wanted!r}; {REBUILD} or set MINUSMA_QUERY_ENCODER={built}"
        )


def _check_files(manifest: Manifest, index_dir: Path) -> None:
    if not manifest.files:
        raise IndexLoadError(f"{index_dir}/manifest.json lists no files; {REBUILD}")
    for name, digest in manifest.files.items():
        path = index_dir / name
        if not path.is_file():
            raise IndexLoadError(f"index file {path} is missing; {REBUILD}")
        if sha256(path) != digest:
            raise IndexLoadError(f"index file {path} is corrupted (checksum mismatch); {REBUILD}")


def _open(index_dir: Path, *, manifest: Manifest, config: IndexConfig) -> HybridIndex:
    """Read the checked files into a HybridIndex."""
    passages = [Passage.from_dict(row) for row in read_jsonl(index_dir / "passages.jsonl")]
    by_id = {p.passage_id: p for p in passages}
    sentences = [
        Sentence(
            row["passage_id"],
            row["start"],
            row["end"],
            by_id[row["passage_id"]].text[row["start"] : row["end"]],
        )
        for row in read_jsonl(index_dir / "sentences.jsonl")
    ]
    index = HybridIndex(
        manifest=manifest,
        passages=passages,
        dense=DenseIndex.load(index_dir / "passages.faiss"),
        sparse=SparseIndex.load(index_dir / "bm25", n_docs=len(passages)),
        chars=SparseIndex.load(index_dir / "bm25-chars", n_docs=len(passages)),
        sentences=sentences,
        sentence_vectors=np.load(index_dir / "sentences.npy", allow_pickle=False),
        vocabulary=Vocabulary.from_dict(read_json(index_dir / "vocabulary.json")),
        glossary=read_json(index_dir / "glossary.json"),
        embedder=_embedder(config, index_dir=index_dir),
        translations=_translations_if_wanted(index_dir, config),
        dictionary=_read_translations(index_dir),
    )
    index.check_shapes()
    return index


def _embedder(config: IndexConfig, *, index_dir: Path) -> Embedder:
    """Queries are embedded by the index's ONNX export when the settings ask for one."""
    onnx = config.query_encoder in ONNX_ENCODERS
    return Embedder.from_config(
        config, query_encoder_path=index_dir / QUERY_ENCODER_FILE if onnx else None
    )


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
    return dict(read_json(path)) if path.is_file() else {}
