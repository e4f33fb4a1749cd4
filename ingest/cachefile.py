"""Cache files: stored atomically with their SHA-256 beside them, trusted only while it holds.

The ingest cache (`ingest/cache.py`), the index build's analysis cache (`index/prepare.py`)
and its ONNX exports (`index/exports.py`) keep their entries this way: a damaged or
half-written entry is made again, never read.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import secrets
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of the file's bytes."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def code_fingerprint(packages: Sequence[Path]) -> str:
    """SHA-256 over the Python source of `packages` (directories, subpackages included):
    every file's path relative to its package's parent, then its bytes."""
    digest = hashlib.sha256()
    for root in packages:
        for path in sorted(root.rglob("*.py")):
            digest.update(f"{root.name}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def environment(libraries: Sequence[str]) -> dict[str, Any]:
    """The installed versions of `libraries` and Python's, for a cache key."""
    versions = {}
    for name in libraries:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "absent"
    return {"libraries": versions, "python": platform.python_version()}


def intact(path: Path) -> bool:
    """Whether `path` exists and matches the checksum stored beside it."""
    try:
        expected = _checksum_path(path).read_text(encoding="ascii").strip()
        return expected == sha256_of(path)
    except OSError:
        return False


def store(path: Path, write: Callable[[Path], object]) -> None:
    """Make the cache entry `path` with `write(temporary_path)`, then its checksum.

    Both files are written under temporary names in `path`'s directory and renamed into
    place, the entry first: a crash at any moment leaves either no entry, or one whose
    checksum is missing or stale, which `intact` rejects.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(path, write)
    digest = sha256_of(path)
    replace_atomically(_checksum_path(path), lambda tmp: tmp.write_text(digest, encoding="ascii"))


def read_json(path: Path) -> Any:
    """The JSON value of the intact entry `path`, or None (absent, damaged or not JSON)."""
    if not intact(path):
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # removed or rewritten since the check
        return None


def store_json(path: Path, value: Any) -> None:
    """Keep `value` as the JSON entry `path` (see `store`)."""
    text = json.dumps(value, ensure_ascii=False)
    store(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _checksum_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.sha256")


def replace_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Make `path` with `write(temporary_path)` and rename it into place: readers see the
    old file or the whole new one, never a half-written one."""
    # a name of its own per writer (not mkstemp: its owner-only mode would stay on the entry)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)  # readers never see a half-written file
    finally:
        temporary.unlink(missing_ok=True)
