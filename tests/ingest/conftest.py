"""Shared ingest fixtures: the committed excerpt and the full shipped report, built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.encoders.registry import default_tokenizer
from ingest.models import IngestConfig, Passage, SourceLine
from ingest.pipeline import ingest_sources
from ingest.text import read_text_lines
from service.settings import DEFAULT_SOURCE

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
EXCERPT = FIXTURES / "report_excerpt.txt"
# What the command line passes by default: the packaged model's tokenizer, 200 word pieces.
INGEST_CONFIG = IngestConfig(tokenizer=default_tokenizer())


@pytest.fixture(scope="session")
def excerpt_passages() -> list[Passage]:
    return ingest_sources([EXCERPT], config=INGEST_CONFIG)


@pytest.fixture(scope="session")
def report_lines() -> list[SourceLine]:
    return read_text_lines(DEFAULT_SOURCE)


@pytest.fixture(scope="session")
def report_passages() -> list[Passage]:
    return ingest_sources([DEFAULT_SOURCE], config=INGEST_CONFIG)
