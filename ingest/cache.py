"""The ingest cache: a source's passages, kept under a key of everything that makes them.

Ingesting the report (repairing split words, finding the structure, sizing passages) is
most of a rebuild whose vectors are all cached: ~3.5 s of ~7 s on 2 cores. Its result is a
pure function of the source's bytes and name, the `IngestConfig` (its tokenizer by content),
the ingest code and the libraries it calls, so all of them make up the key:

- the code enters as a hash of the `ingest` package's source, not as a version constant
  that someone has to remember to bump: the heuristics in `repair.py` and `structure.py`
  are tuned often, and a forgotten bump would serve passages the current code no longer
  makes. Any edit of the package (a comment too) costs one uncached ingest, ~3.5 s.
- wordfreq (split-word repair), tokenizers (passage sizes), pymupdf (PDF lines) by version.

Entries are `cache_dir/ingest/passages-<key>.json` with their SHA-256 beside them
(`ingest/cachefile.py`, like the index's ONNX exports): a damaged entry is ingested again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from functools import cached_property
from pathlib import Path

from ingest.cachefile import code_fingerprint, environment, read_json, sha256_of, store_json
from ingest.errors import IngestError
from ingest.models import IngestConfig, Passage

# The third-party libraries whose output the passages depend on.
LIBRARIES = ("tokenizers", "wordfreq", "pymupdf")
_PACKAGE = Path(__file__).resolve().parent


class IngestCache:
    """Passages by (source name, source SHA-256), for one `IngestConfig`."""

    def __init__(self, cache_dir: Path, *, config: IngestConfig) -> None:
        self._dir = Path(cache_dir) / "ingest"
        self._config = config

    def get(self, source: str, source_sha256: str) -> list[Passage] | None:
        """The cached passages, or None when there are none or the entry is damaged."""
        rows = read_json(self.path(source, source_sha256))
        try:
            return None if rows is None else [Passage.from_dict(row) for row in rows]
        except (KeyError, TypeError, ValueError, AttributeError):
            return None  # intact, but not passages: ingest again

    def put(self, source: str, source_sha256: str, passages: list[Passage]) -> None:
        """Keep `passages` (atomically; a concurrent writer stores the same bytes).

        Raises:
            IngestError: the cache directory cannot be written.
        """
        path = self.path(source, source_sha256)
        try:
            store_json(path, [p.to_dict() for p in passages])
        except OSError as exc:
            raise IngestError(
                f"cannot write the ingest cache {path} ({exc.strerror or exc}); make "
                f"{self._dir} writable or set MINUSMA_CACHE_DIR to another directory"
            ) from exc

    def path(self, source: str, source_sha256: str) -> Path:
        """Where the passages of this source, ingested with this config and code, are kept."""
        identity = f"{self._identity}|{source}|{source_sha256}"
        return self._dir / f"passages-{hashlib.sha256(identity.encode()).hexdigest()[:24]}.json"

    @cached_property
    def _identity(self) -> str:
        """Everything but the source that the passages depend on (computed once)."""
        settings = {
            field.name: _identify(getattr(self._config, field.name))
            for field in fields(self._config)
            if field.name != "cache_dir"  # where the cache is, not what it holds
        }
        return json.dumps(
            {
                "code": code_fingerprint([_PACKAGE]),
                "settings": settings,
                **environment(LIBRARIES),
            },
            sort_keys=True,
        )


def _identify(value: object) -> object:
    """A setting as it enters the key: a file (the tokenizer) by its content."""
    return sha256_of(value) if isinstance(value, Path) else value
