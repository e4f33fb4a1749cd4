"""The ingest cache: a hit gives the fresh ingest's passages; any change of what makes them
misses; a damaged entry is ingested again, never trusted."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from ingest.cache import IngestCache
from ingest.cachefile import code_fingerprint, intact, store_json
from ingest.errors import IngestError
from ingest.models import IngestConfig, Passage
from ingest.pipeline import ingest_sources
from service.settings import DEFAULT_SOURCE
from tests.ingest.conftest import EXCERPT, INGEST_CONFIG


def _cached(tmp_path: Path, **changes: object) -> IngestConfig:
    return dataclasses.replace(INGEST_CONFIG, cache_dir=tmp_path / "cache", **changes)


def _entries(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "ingest").glob("passages-*.json"))


def _source(tmp_path: Path, name: str = "rapport.txt") -> Path:
    path = tmp_path / name
    shutil.copyfile(EXCERPT, path)
    return path


def test_hit_on_the_whole_report_equals_a_fresh_ingest(
    report_passages: list[Passage], tmp_path: Path
) -> None:
    config = _cached(tmp_path)
    stored = ingest_sources([DEFAULT_SOURCE], config=config)
    (entry,) = _entries(tmp_path)
    assert intact(entry)
    assert ingest_sources([DEFAULT_SOURCE], config=config) == stored == report_passages


def test_a_hit_is_read_from_the_cache(tmp_path: Path) -> None:
    """The entry is what a hit returns: an intact entry edited in place is served as is."""
    config = _cached(tmp_path)
    source = _source(tmp_path)
    fresh = ingest_sources([source], config=config)
    edited = [dataclasses.replace(fresh[0], text="Uit de cache."), *fresh[1:]]
    IngestCache(tmp_path / "cache", config=config).put(source.name, fresh[0].source_sha256, edited)
    assert ingest_sources([source], config=config) == edited


def test_several_sources_are_cached_one_by_one(tmp_path: Path) -> None:
    config = _cached(tmp_path)
    sources = [_source(tmp_path, "a.txt"), _source(tmp_path, "b.txt")]
    fresh = ingest_sources(sources, config=INGEST_CONFIG)
    assert ingest_sources(sources, config=config) == fresh
    assert len(_entries(tmp_path)) == 2
    assert ingest_sources(sources, config=config) == fresh
    assert fresh[0].passage_id.startswith("a:") and fresh[-1].passage_id.startswith("b:")


def test_a_changed_source_misses(tmp_path: Path) -> None:
    config = _cached(tmp_path)
    source = _source(tmp_path)
    before = ingest_sources([source], config=config)
    with source.open("a", encoding="utf-8") as handle:
        handle.write("\nEen alinea die er eerst niet stond, over de inzet in Gao.\n")
    after = ingest_sources([source], config=config)
    assert after == ingest_sources([source], config=INGEST_CONFIG)
    assert after != before and "eerst niet stond" in after[-1].text
    assert len(_entries(tmp_path)) == 2


def test_the_same_bytes_under_another_name_miss(tmp_path: Path) -> None:
    """A passage names its source file, so the name is part of the key."""
    config = _cached(tmp_path)
    first = ingest_sources([_source(tmp_path, "eerste.txt")], config=config)
    second = ingest_sources([_source(tmp_path, "tweede.txt")], config=config)
    assert {p.source for p in first} == {"eerste.txt"}
    assert {p.source for p in second} == {"tweede.txt"}


def test_a_changed_setting_misses(tmp_path: Path) -> None:
    source = _source(tmp_path)
    default = ingest_sources([source], config=_cached(tmp_path))
    smaller = ingest_sources([source], config=_cached(tmp_path, max_passage_tokens=60))
    uncached = dataclasses.replace(INGEST_CONFIG, max_passage_tokens=60)
    fresh = ingest_sources([source], config=uncached)
    assert smaller == fresh and len(smaller) > len(default)
    assert len(_entries(tmp_path)) == 2


def test_the_key_follows_the_tokenizer_content_not_the_cache_location(tmp_path: Path) -> None:
    tokenizer = tmp_path / "tokenizer.json"
    shutil.copyfile(INGEST_CONFIG.tokenizer, tokenizer)
    config = IngestConfig(tokenizer=tokenizer)
    key = IngestCache(tmp_path / "a", config=config).path("r.txt", "0" * 64).name
    assert IngestCache(tmp_path / "b", config=config).path("r.txt", "0" * 64).name == key
    assert IngestCache(tmp_path / "a", config=config).path("r.txt", "1" * 64).name != key
    tokenizer.write_text(tokenizer.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert IngestCache(tmp_path / "a", config=config).path("r.txt", "0" * 64).name != key


def test_the_code_fingerprint_follows_every_source_file(tmp_path: Path) -> None:
    package = tmp_path / "pakket"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("X = 1\n")
    (package / "sub" / "b.py").write_text("Y = 2\n")
    before = code_fingerprint([package])
    (package / "sub" / "b.py").write_text("Y = 3\n")
    assert code_fingerprint([package]) != before
    (package / "sub" / "b.py").write_text("Y = 2\n")
    assert code_fingerprint([package]) == before
    (package / "sub" / "b.py").rename(package / "b.py")  # same bytes, another file
    assert code_fingerprint([package]) != before


@pytest.mark.parametrize("damage", ["flipped", "truncated", "no checksum", "not passages"])
def test_a_damaged_entry_is_ingested_again(tmp_path: Path, damage: str) -> None:
    config = _cached(tmp_path)
    source = _source(tmp_path)
    fresh = ingest_sources([source], config=config)
    (entry,) = _entries(tmp_path)
    data = entry.read_bytes()
    if damage == "flipped":
        entry.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    elif damage == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "no checksum":
        entry.with_name(entry.name + ".sha256").unlink()
    else:  # intact by its checksum, but not what a passage line holds
        store_json(entry, [{"passage_id": "x"}])
    assert ingest_sources([source], config=config) == fresh
    assert intact(entry) and entry.read_bytes() == data  # and stored again


def test_an_unwritable_cache_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("a file where the cache directory should be")
    with pytest.raises(IngestError, match="cannot write the ingest cache.*MINUSMA_CACHE_DIR"):
        ingest_sources([_source(tmp_path)], config=_cached(tmp_path))


def test_without_a_cache_directory_nothing_is_written(tmp_path: Path) -> None:
    source = _source(tmp_path)
    ingest_sources([source], config=INGEST_CONFIG)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rapport.txt"]


def test_a_bad_source_fails_before_the_cache_is_consulted(tmp_path: Path) -> None:
    config = _cached(tmp_path)
    with pytest.raises(IngestError, match="file not found"):
        ingest_sources([tmp_path / "nergens.txt"], config=config)
    with pytest.raises(IngestError, match="unsupported file type"):
        ingest_sources([tmp_path / "rapport.docx"], config=config)
    assert not (tmp_path / "cache").exists()
