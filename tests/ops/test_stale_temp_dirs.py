"""Temporary build directories left by killed builds are removed; a live build's never is.

Real builds run in subprocesses and pause inside their progress callback, after their
temporary directory exists: one is killed with SIGKILL (its directory is now stale), the
other stays alive. Loading the index must remove the stale directory only, and the live
build must then finish and swap its index in.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.atomic import remove_stale_temp_dirs
from index.load import load_index
from index.models import IndexConfig
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "index" / "passages.jsonl"

PAUSED_BUILD = """
import json, sys
from pathlib import Path
from index.build import build_index
from ingest.models import Passage
from service.settings import Settings

fixture, index_dir, cache = (Path(arg) for arg in sys.argv[1:4])
lines = fixture.read_text(encoding="utf-8").splitlines()
passages = [Passage.from_dict(json.loads(line)) for line in lines if line.strip()]
config = Settings(cache_dir=cache, query_encoder="torch").index_config()

def pause(stage, done, total):
    if stage == "analyse" and done == 0:  # the temporary directory exists by now
        print("paused", flush=True)
        sys.stdin.readline()

build_index(passages, index_dir, config=config, on_progress=pause)
print("built", flush=True)
"""


def _temp_dirs(index_dir: Path) -> set[Path]:
    return set(index_dir.parent.glob(f".{index_dir.name}.tmp-*"))


@pytest.fixture
def torch_config(tmp_path: Path) -> IndexConfig:
    return Settings(cache_dir=tmp_path / "cache", query_encoder="torch").index_config()


@pytest.fixture
def builds() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def _paused_build(
    index_dir: Path, cache: Path, builds: list[subprocess.Popen[bytes]]
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start a build and wait until it pauses; return it and its temporary directory."""
    before = _temp_dirs(index_dir)
    process = subprocess.Popen(
        [sys.executable, "-c", PAUSED_BUILD, str(FIXTURE), str(index_dir), str(cache)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    builds.append(process)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line == b"paused\n", process.stderr.read() if process.stderr else line
    (new,) = _temp_dirs(index_dir) - before
    return process, new


def test_load_removes_a_killed_builds_temp_dir_and_keeps_a_live_one(
    report_index_dir: Path,
    torch_config: IndexConfig,
    tmp_path: Path,
    builds: list[subprocess.Popen[bytes]],
) -> None:
    index_dir = shutil.copytree(report_index_dir, tmp_path / "index")  # the previous index
    live, live_dir = _paused_build(index_dir, tmp_path / "cache-live", builds)
    dead, dead_dir = _paused_build(index_dir, tmp_path / "cache-dead", builds)
    dead.kill()
    dead.wait(timeout=30)
    assert dead_dir.is_dir()  # SIGKILL left it behind

    previous = load_index(index_dir, config=torch_config)

    assert not dead_dir.exists()
    assert live_dir.is_dir()
    assert previous.search("Wat deed ASIFU?", k=3)

    assert live.stdin is not None
    live.stdin.write(b"go\n")
    live.stdin.flush()
    out, err = live.communicate(timeout=600)
    assert live.returncode == 0, err.decode(errors="replace")[-2000:]
    assert out.strip() == b"built"
    assert _temp_dirs(index_dir) == set()
    fixture_count = sum(1 for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line)
    assert len(load_index(index_dir, config=torch_config).passages) == fixture_count


def test_only_this_indexs_unlocked_temp_dirs_are_removed(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    stale = tmp_path / ".index.tmp-left-by-an-older-version"  # no lock: nobody writes it
    stale.mkdir()
    (stale / "passages.jsonl").write_text(json.dumps({"half": "written"}), encoding="utf-8")
    others = [tmp_path / ".other.tmp-x", tmp_path / "index.tmp-x", tmp_path / ".index.old-x"]
    for path in others:
        path.mkdir()

    assert remove_stale_temp_dirs(index_dir) == [stale]

    assert not stale.exists()
    assert all(path.is_dir() for path in others)
