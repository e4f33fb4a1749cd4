"""`minusma-qa index` and `minusma-qa search` on the committed excerpt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from index import build as index_build
from index.encoders.registry import MINILM_MODEL

EXCERPT = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "report_excerpt.txt"


def test_index_then_search(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINUSMA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MINUSMA_EMBEDDING_MODEL", MINILM_MODEL)  # CLI mechanics: small model
    runner = CliRunner()
    index_dir = tmp_path / "index"
    built = runner.invoke(app, ["index", str(EXCERPT), "--index-dir", str(index_dir)])
    assert built.exit_code == 0, built.output
    assert "indexed" in built.output and (index_dir / "manifest.json").is_file()
    found = runner.invoke(app, ["search", "inlichtingen", "-k", "3", "--index-dir", str(index_dir)])
    assert found.exit_code == 0, found.output
    assert found.output.lstrip().startswith("1. §") and "score" in found.output
    empty = runner.invoke(app, ["search", "  ", "--index-dir", str(index_dir)])
    assert empty.exit_code == 0 and "no results" in empty.output


def test_index_if_needed_skips_only_an_up_to_date_index(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINUSMA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MINUSMA_EMBEDDING_MODEL", MINILM_MODEL)  # CLI mechanics: small model
    runner = CliRunner()
    index_dir = tmp_path / "index"
    args = ["index", str(EXCERPT), "--index-dir", str(index_dir), "--if-needed"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0 and "indexed" in first.output, first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "up to date" in again.output, again.output
    changed = tmp_path / EXCERPT.name
    changed.write_text(EXCERPT.read_text(encoding="utf-8") + "\nEen nieuwe alinea.\n", "utf-8")
    rebuilt = runner.invoke(
        app, ["index", str(changed), "--index-dir", str(index_dir), "--if-needed"]
    )
    assert rebuilt.exit_code == 0 and "indexed" in rebuilt.output, rebuilt.output


def test_index_if_needed_rebuilds_after_a_code_change(
    app: typer.Typer, small_cli: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    args = ["index", str(EXCERPT), "--index-dir", str(tmp_path / "index"), "--if-needed"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0 and "indexed" in first.output, first.output
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pipeline"] == index_build.pipeline_fingerprint()
    monkeypatch.setattr(index_build, "pipeline_fingerprint", lambda: "0" * 64)  # code upgraded
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "another version" in again.output, again.output
    assert "indexed" in again.output
