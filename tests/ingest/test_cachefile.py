"""Cache files: stored atomically with their checksum, trusted only while it holds."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.cachefile import intact, sha256_of, store


def _write(text: str) -> Callable[[Path], int]:
    return lambda tmp: tmp.write_text(text, encoding="utf-8")


def test_a_stored_entry_is_intact_with_its_checksum_beside_it(tmp_path: Path) -> None:
    entry = tmp_path / "sub" / "entry.jsonl"
    store(entry, _write("inhoud\n"))
    assert entry.read_text(encoding="utf-8") == "inhoud\n" and intact(entry)
    checksum = (tmp_path / "sub" / "entry.jsonl.sha256").read_text(encoding="ascii")
    assert checksum == hashlib.sha256(b"inhoud\n").hexdigest() == sha256_of(entry)
    assert sorted(p.name for p in entry.parent.iterdir()) == ["entry.jsonl", "entry.jsonl.sha256"]


def test_a_writer_that_dies_half_way_leaves_the_previous_entry(tmp_path: Path) -> None:
    entry = tmp_path / "entry.jsonl"
    store(entry, _write("oud\n"))

    def dies(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        store(entry, dies)
    assert entry.read_text(encoding="utf-8") == "oud\n" and intact(entry)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.jsonl", "entry.jsonl.sha256"]


def test_an_entry_without_its_matching_checksum_is_not_trusted(tmp_path: Path) -> None:
    entry = tmp_path / "entry.jsonl"
    assert not intact(entry)  # absent
    entry.write_text("zonder checksum\n", encoding="utf-8")
    assert not intact(entry)  # e.g. a crash between the entry's rename and its checksum's
    store(entry, _write("nieuw\n"))
    entry.write_text("later gewijzigd\n", encoding="utf-8")
    assert not intact(entry)
