"""Each index file removed or damaged in turn: one startup error line naming the fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ops.conftest import copy_index

FIX = "minusma-qa index"


def index_files(index_dir: Path) -> list[str]:
    """Every file of a built index, manifest included, relative to the index directory."""
    return sorted(p.relative_to(index_dir).as_posix() for p in index_dir.rglob("*") if p.is_file())


def damage(path: Path, how: str) -> None:
    """Remove the file, empty it, or flip bytes in its middle (same length).

    The damaged file replaces the original instead of being written into it: copies made
    by `copy_index` share their files with the session's index (hard links).
    """
    data = bytearray(path.read_bytes())
    path.unlink()
    if how == "removed":
        return
    if how == "emptied":
        data = bytearray()
    else:
        middle = len(data) // 2
        data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    path.write_bytes(bytes(data))


def serve_in_process(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """Run `minusma-qa serve` through the console entry point's main(); (exit code, stderr)."""
    import uvicorn

    from cli import main

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the service started on a damaged index")

    monkeypatch.setattr(uvicorn, "run", refuse)
    monkeypatch.setenv("MINUSMA_INDEX_DIR", str(index_dir))
    monkeypatch.setattr(sys, "argv", ["minusma-qa", "serve", "--host", "127.0.0.1"])
    with pytest.raises(SystemExit) as exited:
        main()
    return int(exited.value.code or 0), capsys.readouterr().err


def test_the_index_has_the_files_this_test_damages(report_index_dir: Path) -> None:
    manifest = json.loads((report_index_dir / "manifest.json").read_text(encoding="utf-8"))
    listed = set(manifest["files"]) | {"manifest.json"}
    assert listed == set(index_files(report_index_dir)), "an index file is not checksummed"
    assert len(listed) >= 5


@pytest.mark.parametrize("how", ["removed", "emptied", "corrupted"])
def test_each_damaged_file_gives_one_clear_startup_error(
    report_index_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
) -> None:
    failures = []
    for n, name in enumerate(index_files(report_index_dir)):
        index_dir = copy_index(report_index_dir, tmp_path / f"case-{n}")
        damage(index_dir / name, how)
        code, err = serve_in_process(index_dir, monkeypatch, capsys)
        lines = err.strip().splitlines()
        ok = (
            code == 2
            and len(lines) == 1
            and lines[0].startswith("error: ")
            and FIX in lines[0]
            and "Traceback" not in err
        )
        if not ok:
            failures.append(f"{name} {how}: exit {code}, stderr {err!r}")
    assert not failures, "\n".join(failures)


def test_missing_index_directory_names_the_build_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = serve_in_process(tmp_path / "never-built", monkeypatch, capsys)
    assert code == 2
    assert err.strip().count("\n") == 0
    assert f"{FIX} --index-dir {tmp_path / 'never-built'}" in err


def test_console_script_prints_one_line_for_a_corrupted_index(
    report_index_dir: Path, tmp_path: Path
) -> None:
    index_dir = copy_index(report_index_dir, tmp_path / "index")
    damage(index_dir / "passages.faiss", "corrupted")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "minusma-qa"), "serve", "--port", "1"],
        env={**os.environ, "MINUSMA_INDEX_DIR": str(index_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "passages.faiss" in lines[0] and FIX in lines[0]
