"""`minusma-qa ingest`: writes DIR/passages.jsonl, or fails with one line and no output."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.cache import IngestCache
from ingest.models import Passage
from ingest.pipeline import PASSAGES_FILE, ingest_sources, read_passages, write_passages
from tests.ingest.conftest import EXCERPT, INGEST_CONFIG

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from cli import main; main()", "ingest", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "MINUSMA_CACHE_DIR": str(cache)},
        timeout=300,
    )


def test_cli_writes_passages(tmp_path: Path, excerpt_passages: list[Passage]) -> None:
    out = tmp_path / "out"
    result = run_cli(str(EXCERPT), "--out", str(out), cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    assert f"wrote {len(excerpt_passages)} passages" in result.stdout
    assert read_passages(out / PASSAGES_FILE) == excerpt_passages
    assert sorted(p.name for p in out.iterdir()) == [PASSAGES_FILE]


def test_cli_uses_the_ingest_cache_of_the_index_build(
    tmp_path: Path, excerpt_passages: list[Passage]
) -> None:
    """The command reads and fills the entry the index build uses; --no-cache ingests
    afresh and replaces the entry."""
    cache_dir = tmp_path / "cache"
    out = tmp_path / "out"
    assert run_cli(str(EXCERPT), "--out", str(out), cache=cache_dir).returncode == 0
    cache = IngestCache(cache_dir, config=replace(INGEST_CONFIG, cache_dir=cache_dir))
    digest = excerpt_passages[0].source_sha256
    assert cache.get(EXCERPT.name, digest) == excerpt_passages  # the build's key
    edited = [replace(excerpt_passages[0], text="Uit de cache."), *excerpt_passages[1:]]
    cache.put(EXCERPT.name, digest, edited)
    assert run_cli(str(EXCERPT), "--out", str(out), cache=cache_dir).returncode == 0
    assert read_passages(out / PASSAGES_FILE) == edited
    fresh = run_cli(str(EXCERPT), "--out", str(out), "--no-cache", cache=cache_dir)
    assert fresh.returncode == 0, fresh.stderr
    assert read_passages(out / PASSAGES_FILE) == excerpt_passages
    assert cache.get(EXCERPT.name, digest) == excerpt_passages
    entries = sorted(p.name for p in (cache_dir / "ingest").iterdir())
    assert len(entries) == 2 and entries[1] == f"{entries[0]}.sha256"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("missing.txt", None, "file not found"),
        ("empty.txt", b"\n  \n", "empty"),
        ("latin1.txt", "Buitenlandse Zaken é".encode("latin-1"), "not UTF-8"),
        ("report.docx", b"PK\x03\x04", "unsupported file type"),
    ],
)
def test_cli_bad_input(tmp_path: Path, name: str, content: bytes | None, reason: str) -> None:
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content)
    out = tmp_path / "out"
    result = run_cli(str(EXCERPT), str(source), "--out", str(out), cache=tmp_path / "cache")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and reason in lines[0]
    assert "Traceback" not in result.stderr
    assert not (out / PASSAGES_FILE).exists()


def test_several_sources_get_prefixed_ids(tmp_path: Path) -> None:
    copy = tmp_path / "kopie.txt"
    copy.write_bytes(EXCERPT.read_bytes())
    passages = ingest_sources([EXCERPT, copy], config=INGEST_CONFIG)
    ids = [p.passage_id for p in passages]
    assert len(ids) == len(set(ids))
    assert "report_excerpt:1.1-p1" in ids and "kopie:1.1-p1" in ids


def test_write_is_atomic_and_round_trips(tmp_path: Path, excerpt_passages: list[Passage]) -> None:
    target = write_passages(excerpt_passages, tmp_path)
    assert target == tmp_path / PASSAGES_FILE
    assert [p.name for p in tmp_path.iterdir()] == [PASSAGES_FILE]
    assert read_passages(target) == excerpt_passages
