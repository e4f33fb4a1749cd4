"""Index fixtures: fifteen real passages of the report (committed) and their small index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.build import build_index
from index.encoders.registry import MINILM_MODEL
from index.hybrid import HybridIndex
from index.load import load_index
from index.models import IndexConfig
from ingest.models import Passage
from service.settings import Settings

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "index" / "passages.jsonl"


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
