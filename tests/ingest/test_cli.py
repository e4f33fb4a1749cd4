"""`minusma-qa ingest`: writes DIR/passages.jsonl, or fails with one line and no output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ingest.models import Passage
from ingest.pipeline import PASSAGES_FILE, ingest_sources, read_passages, write_passages
from tests.ingest.conftest import EXCERPT, INGEST_CONFIG

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from cli import main; main()", "ingest", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_cli_writes_passages(tmp_path: Path, excerpt_passages: list[Passage]) -> None:
    out = tmp_path / "out"
    result = run_cli(str(EXCERPT), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"wrote {len(excerpt_passages)} passages" in result.stdout
    assert read_passages(out / PASSAGES_FILE) == excerpt_passages
    assert sorted(p.name for p in out.iterdir()) == [PASSAGES_FILE]


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
    result = run_cli(str(EXCERPT), str(source), "--out", str(out))
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
