"""Read a plain-text source (a PDF-to-text extraction) into `SourceLine`s, one per physical line."""

from __future__ import annotations

from pathlib import Path

from ingest.errors import IngestError
from ingest.models import SourceLine


def read_text_lines(path: Path) -> list[SourceLine]:
    """Every physical line of the UTF-8 text file at `path`, without its line ending.

    Raises:
        IngestError: the file is missing, is not a regular file, is not valid UTF-8, or
            holds no text; the message names the file, the reason and the fix.
    """
    text = _decode(path, read_source_bytes(path))
    if not text.strip():
        raise IngestError(f"{path}: the file is empty; pass a report text with content")
    return [SourceLine(text=line) for line in text.splitlines()]


def read_source_bytes(path: Path) -> bytes:
    """The bytes of the source file at `path` (IngestError: missing, not a file, unreadable)."""
    if not path.exists():
        raise IngestError(f"{path}: file not found; check the path or set MINUSMA_SOURCES")
    if not path.is_file():
        raise IngestError(f"{path}: not a regular file; pass the path of a .txt or .pdf file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IngestError(
            f"{path}: cannot be read ({exc.strerror}); check its permissions"
        ) from exc


def _decode(path: Path, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{path}: not UTF-8 text (invalid byte at offset {exc.start}); "
            "re-save the file as UTF-8 (e.g. `iconv -t UTF-8`)"
        ) from exc
    return text.removeprefix("\ufeff")
