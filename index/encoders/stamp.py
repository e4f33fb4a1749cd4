"""A folder's verification stamp: the files hashed last time, so an unchanged one is not
hashed again.

Verifying the cached e5 folder hashed ~260 MB on every start and warm build (~0.5 s on
2 cores). After a full verification the stamp `STAMP` in the folder records each file's
size, mtime_ns and the digest it was verified to have; a later check hashes only the
files whose size or mtime_ns differ from the stamp (or whose expected digest changed).
Any write to a file changes its mtime, so a damaged file is still caught; a missing or
unreadable stamp means every file is hashed, and the stamp is written again (atomically).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from index.layout import sha256
from ingest.cachefile import replace_atomically

STAMP = ".verified.json"


def digests_match(folder: Path, expected: dict[str, str]) -> bool:
    """True when every file `expected` names (relative path -> SHA-256) has that digest.

    Files unchanged since the stamp recorded them are trusted; the others are hashed. When
    all match, the stamp is brought up to date (an unwritable folder only skips that).

    Raises:
        OSError: a listed file is missing or unreadable.
    """
    stamp = _read(folder / STAMP)
    verified: dict[str, dict[str, Any]] = {}
    for name, digest in expected.items():
        path = folder / name
        stat = path.stat()
        seen = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
        if stamp.get(name) != seen and sha256(path) != digest:
            return False
        verified[name] = seen
    if verified != stamp:
        _write(folder / STAMP, verified)
    return True


def _read(path: Path) -> dict[str, Any]:
    """The stamp's entries; {} when it is missing or damaged (then every file is hashed)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return files if isinstance(files, dict) else {}


def _write(path: Path, files: dict[str, dict[str, Any]]) -> None:
    text = json.dumps({"files": files}, indent=1, sort_keys=True)
    # a read-only cache only means that the next check hashes every file again
    with contextlib.suppress(OSError):
        replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
