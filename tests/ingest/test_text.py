"""Reading a text source: lines out, or one clear IngestError naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.text import read_text_lines


def test_reads_every_physical_line(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("\ufeffKop\n\nregel één \n", encoding="utf-8")
    assert [line.text for line in read_text_lines(path)] == ["Kop", "", "regel één "]
    assert all(line.page is None and not line.footnote_zone for line in read_text_lines(path))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "file not found"),
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        ("Buitenlandse Zaken".encode("latin-1") + b"\xe9\xff", "not UTF-8"),
    ],
)
def test_bad_input_names_file_and_reason(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    path = tmp_path / "rapport.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(IngestError) as info:
        read_text_lines(path)
    message = str(info.value)
    assert str(path) in message and reason in message
    assert "\n" not in message


def test_directory_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="not a regular file"):
        read_text_lines(tmp_path)
