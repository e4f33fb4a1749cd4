"""Eval fixtures: a REAL index of fifteen report passages (real model), built once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.build import build_index
from index.encoders.registry import MINILM_MODEL
from ingest.models import Passage
from service.settings import Settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_GOLD = FIXTURES / "gold"


@pytest.fixture(scope="session")
def small_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose index holds the fixture passages (copied from the ingest of the report),
    embedded with the small all-MiniLM-L6-v2: these tests are about the runner, not the model."""
    root = tmp_path_factory.mktemp("eval-index")
    settings = Settings(
        index_dir=root / "index", cache_dir=root / "cache", embedding_model=MINILM_MODEL
    )
    lines = (FIXTURES / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    passages = [Passage.from_dict(json.loads(line)) for line in lines if line.strip()]
    build_index(passages, settings.index_dir, config=settings.index_config())
    return settings
