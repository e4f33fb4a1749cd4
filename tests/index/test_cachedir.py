"""`cache list` / `cache prune`: exactly what a build with the settings and a rebuild of the
index need is kept, computed with the build's own keys; a build in flight loses nothing."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from index.cachedir import InUse, build_needs, index_needs, list_entries, prune
from index.embed import EmbeddingCache
from index.encoders.e5 import models_lock
from index.encoders.registry import MINILM_MODEL
from index.exports import OnnxExports, cached_export_path
from index.models import IndexConfig
from index.prepare import analysis_path
from ingest.cache import IngestCache
from ingest.cachefile import store, store_json
from ingest.models import Passage
from ingest.pipeline import ingest_sources
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXCERPT = ROOT / "tests" / "fixtures" / "ingest" / "report_excerpt.txt"
HOUR_AGO = time.time() - 3600


def _age(root: Path) -> None:
    """Every file and folder under `root` as if written an hour ago."""
    for path in [*root.rglob("*"), root]:
        os.utime(path, (HOUR_AGO, HOUR_AGO), follow_symlinks=False)


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


class Cache:
    """A cache directory filled by the build's own writers: one entry each that the settings
    need and one they do not, in every area."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path / "cache"
        self.models = tmp_path / "models"
        self.settings = Settings(
            cache_dir=self.dir, embedding_model=MINILM_MODEL, sources=[EXCERPT]
        )
        self.config: IndexConfig = self.settings.index_config()  # onnx-int8 by default
        ingest = self.settings.ingest_config()
        self.passages = ingest_sources([EXCERPT], config=ingest)  # stores the ingest entry
        stale_ingest = dataclasses.replace(ingest, max_passage_tokens=100)
        IngestCache(self.dir, config=stale_ingest).put(EXCERPT.name, "0" * 64, self.passages[:1])
        store_json(self._analysis(self.passages), {"analysis": "current"})
        store_json(self._analysis(self.passages[:2]), {"analysis": "stale"})
        (int8,) = OnnxExports(self.config, scratch=tmp_path).cache_entries()
        store(int8, lambda tmp: tmp.write_bytes(b"int8 export"))
        stale = cached_export_path(self.config, "onnx")
        assert stale is not None and stale != int8
        store(stale, lambda tmp: tmp.write_bytes(b"float export, not read by onnx-int8"))
        (self.models / "multilingual-e5-small-0123456789abcdef" / "1_Pooling").mkdir(parents=True)
        (self.models / "multilingual-e5-small-0123456789abcdef" / "model.safetensors").write_bytes(
            b"old model"
        )
        (self.models / ".lock").touch()
        self.identity = next(iter(self.needs().embeddings))
        for label in (self.identity, "packaged:some-old-model@0123"):
            rows = EmbeddingCache(self.dir / "embeddings.sqlite", model_label=label)
            rows.put_many({f"text-{n}": np.ones(8, dtype=np.float32) for n in range(50)})
            rows.close()
        _age(self.dir)
        _age(self.models)
        self.int8, self.stale_float = int8, stale

    def needs(self) -> InUse:
        ingest = self.settings.ingest_config()
        return build_needs([EXCERPT], config=self.config, ingest_config=ingest)

    def _analysis(self, passages: list[Passage]) -> Path:
        return analysis_path(
            passages, dictionary_dir=self.config.dictionary_dir, cache_dir=self.dir
        )

    def entries(self, *, indexed: InUse | None = None) -> list:
        return list_entries(
            self.dir,
            models_dir=self.models,
            current=self.needs(),
            indexed=indexed or InUse(),
        )

    def models_in_cache(self) -> list[str]:
        return _models(self.dir / "embeddings.sqlite")


def _models(database: Path) -> list[str]:
    """The model identities the embedding cache holds rows of."""
    with closing(sqlite3.connect(database)) as conn:
        return sorted(m for (m,) in conn.execute("SELECT DISTINCT model FROM vectors"))


@pytest.fixture()
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path)


def test_prune_keeps_exactly_what_the_settings_need(cache: Cache, tmp_path: Path) -> None:
    before = _files(cache.dir)
    in_flight = cache.int8.with_name(f".{cache.int8.name}.4242.abcd.tmp")
    in_flight.write_bytes(b"a build is copying an export here")  # written just now
    entries = cache.entries()
    assert {(e.area, e.current, e.recent) for e in entries if e.kept} == {
        ("ingest", True, False),
        ("analysis", True, False),
        ("onnx", True, False),
        ("onnx", False, True),
        ("embeddings", True, False),
    }
    doomed = [e for e in entries if not e.kept]
    freed = prune(entries, models_dir=cache.models, index_dir=tmp_path / "index")
    ingest_entry = IngestCache(cache.dir, config=cache.settings.ingest_config()).path(
        EXCERPT.name, cache.passages[0].source_sha256
    )
    kept = {
        path.relative_to(cache.dir).as_posix()
        for entry in (ingest_entry, cache._analysis(cache.passages), cache.int8)
        for path in (entry, entry.with_name(f"{entry.name}.sha256"))
    }
    assert _files(cache.dir) == kept | {
        "embeddings.sqlite",
        in_flight.relative_to(cache.dir).as_posix(),
    }
    assert len(before) == len(kept) + 7  # stale ingest, analysis, export (+ checksums), db
    assert sorted(p.name for p in cache.models.iterdir()) == [".lock"]
    assert cache.models_in_cache() == [cache.identity]
    file_bytes = sum(e.size for e in doomed if e.area != "embeddings")
    assert file_bytes < freed  # plus what VACUUM gave back of the old model's rows


def test_the_index_in_use_keeps_what_a_rebuild_reads(
    cache: Cache, tmp_path: Path, small_index_dir: Path, small_config: IndexConfig
) -> None:
    """Computed from a real index and its build's cache, with the build's keys: its
    analysis entry and its vectors are exactly what that build stored."""
    assert small_config.cache_dir is not None
    ingest = Settings(cache_dir=small_config.cache_dir).ingest_config()
    needs = index_needs(small_index_dir, config=small_config, ingest_config=ingest)
    analyses = set((small_config.cache_dir / "analysis").glob("analysis-*.json"))
    assert analyses and analyses <= needs.paths
    assert sorted(needs.embeddings) == _models(small_config.cache_dir / "embeddings.sqlite")
    assert index_needs(tmp_path / "no-index", config=small_config, ingest_config=ingest) == InUse()
    # the settings' cache, marked by a (pretend) index that reads the stale float export
    marked = cache.entries(indexed=InUse(frozenset({cache.stale_float})))
    (entry,) = [e for e in marked if e.name == cache.stale_float.name]
    assert entry.indexed and not entry.current and entry.kept


def test_model_folders_are_removed_under_the_build_lock(cache: Cache, tmp_path: Path) -> None:
    entries = cache.entries()
    done = threading.Event()

    def run() -> None:
        prune(entries, models_dir=cache.models, index_dir=tmp_path / "index")
        done.set()

    with models_lock(cache.models):  # a model build in progress
        worker = threading.Thread(target=run)
        worker.start()
        time.sleep(0.5)
        assert not done.is_set()
        assert (cache.models / "multilingual-e5-small-0123456789abcdef").is_dir()
    worker.join(timeout=30)
    assert done.is_set()
    assert not (cache.models / "multilingual-e5-small-0123456789abcdef").exists()


def test_an_entry_holding_the_index_dir_is_never_removed(cache: Cache) -> None:
    index_dir = cache.models / "multilingual-e5-small-0123456789abcdef" / "index"
    index_dir.mkdir()
    prune(cache.entries(), models_dir=cache.models, index_dir=index_dir)
    assert index_dir.is_dir()


def test_after_prune_the_index_is_up_to_date_and_a_rebuild_warm(
    app: typer.Typer, small_cli: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINUSMA_SOURCES", json.dumps([str(EXCERPT)]))
    monkeypatch.setenv("MINUSMA_INDEX_DIR", str(tmp_path / "index"))
    runner = CliRunner()
    built = runner.invoke(app, ["index"])
    assert built.exit_code == 0 and "indexed" in built.output, built.output
    store_json(tmp_path / "cache" / "analysis" / "analysis-old.json", {"old": True})
    store_json(tmp_path / "cache" / "ingest" / "passages-old.json", [])
    _age(tmp_path / "cache")
    manifest = (tmp_path / "index" / "manifest.json").read_bytes()
    dry = runner.invoke(app, ["cache", "prune", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remove analysis/analysis-old.json" in dry.output
    assert "would remove ingest/passages-old.json" in dry.output
    assert (tmp_path / "cache" / "analysis" / "analysis-old.json").exists()
    pruned = runner.invoke(app, ["cache", "prune"])
    assert pruned.exit_code == 0, pruned.output
    assert "removed analysis/analysis-old.json" in pruned.output and "freed" in pruned.output
    assert sorted(p.name for p in (tmp_path / "cache" / "ingest").iterdir()) == sorted(
        p.name for p in (tmp_path / "cache" / "ingest").glob("passages-*")
    )
    assert not (tmp_path / "cache" / "analysis" / "analysis-old.json").exists()
    assert (tmp_path / "index" / "manifest.json").read_bytes() == manifest
    again = runner.invoke(app, ["index", "--if-needed"])
    assert again.exit_code == 0 and "up to date" in again.output, again.output
    listed = runner.invoke(app, ["cache", "list"])
    assert listed.exit_code == 0 and "unused 0 B" in listed.output, listed.output
    warm = runner.invoke(app, ["index"])
    assert warm.exit_code == 0 and "(0 embedded," in warm.output, warm.output


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from cli import main; main()", "cache", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
        timeout=300,
    )


@pytest.mark.parametrize(
    ("args", "cache", "message"),
    [
        (["prune", "thumbnails"], "dir", "unknown cache area 'thumbnails'"),
        (["list"], "file", "cannot read the cache directory"),
        (["prune", "--dry-run"], "missing", "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    tmp_path: Path, args: list[str], cache: str, message: str
) -> None:
    where = tmp_path / "cache"
    if cache == "dir":
        where.mkdir()
    elif cache == "file":
        where.write_text("not a directory", encoding="utf-8")
    result = _cli(*args, env={"MINUSMA_CACHE_DIR": str(where)})
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not where.exists() if cache == "missing" else True
