"""The build's analysis cache: a hit equals a fresh analysis and builds the same index; a
change of passages or dictionaries misses; a damaged entry is analysed again; a cache that
cannot be written fails the build with one message and leaves the previous index."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from index.build import build_index
from index.errors import IndexBuildError
from index.layout import read_json
from index.models import IndexConfig
from index.prepare import Analysis, analyse, prepare
from ingest.cachefile import intact, store_json
from ingest.models import Passage
from tests.index.test_translate import write_dictionaries


@pytest.fixture(scope="module")
def dictionaries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dictionaries(tmp_path_factory.mktemp("dictd"))


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "analysis").glob("analysis-*.json"))


def test_a_hit_equals_a_fresh_analysis(
    small_passages: list[Passage], dictionaries: Path, tmp_path: Path
) -> None:
    fresh = analyse(small_passages, dictionary_dir=dictionaries)
    assert fresh.translations and fresh.glossary  # the comparison below covers every part
    stored = prepare(small_passages, dictionary_dir=dictionaries, cache_dir=tmp_path)
    (entry,) = _entries(tmp_path)
    assert intact(entry)
    assert prepare(small_passages, dictionary_dir=dictionaries, cache_dir=tmp_path) == fresh
    assert stored == fresh


def test_a_hit_is_read_from_the_cache(
    small_passages: list[Passage], dictionaries: Path, tmp_path: Path
) -> None:
    fresh = prepare(small_passages, dictionary_dir=dictionaries, cache_dir=tmp_path)
    (entry,) = _entries(tmp_path)
    edited = dataclasses.replace(fresh, glossary={"ASIFU": "uit de cache"})
    store_json(entry, edited.to_dict())
    assert prepare(small_passages, dictionary_dir=dictionaries, cache_dir=tmp_path) == edited


def test_changed_passages_or_dictionaries_miss(
    small_passages: list[Passage], dictionaries: Path, tmp_path: Path
) -> None:
    prepare(small_passages, dictionary_dir=dictionaries, cache_dir=tmp_path)
    changed = [
        dataclasses.replace(small_passages[0], text="Helikopters in Gao."),
        *small_passages[1:],
    ]
    got = prepare(changed, dictionary_dir=dictionaries, cache_dir=tmp_path)
    assert got == analyse(changed, dictionary_dir=dictionaries)
    none = prepare(small_passages, dictionary_dir=tmp_path / "none", cache_dir=tmp_path)
    assert none.translations == {}
    assert len(_entries(tmp_path)) == 3


@pytest.mark.parametrize("damage", ["truncated", "not an analysis"])
def test_a_damaged_entry_is_analysed_again(
    small_passages: list[Passage], dictionaries: Path, tmp_path: Path, damage: str
) -> None:
    fresh = prepare(small_passages, dictionary_dir=dictionaries, cache_dir=tmp_path)
    (entry,) = _entries(tmp_path)
    data = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    else:
        store_json(entry, {"vocabulary": {}})
    assert prepare(small_passages, dictionary_dir=dictionaries, cache_dir=tmp_path) == fresh
    assert intact(entry) and Analysis.from_dict(read_json(entry)) == fresh


def test_an_index_from_the_cached_analysis_has_the_same_files(
    small_passages: list[Passage], small_config: IndexConfig, dictionaries: Path, tmp_path: Path
) -> None:
    config = dataclasses.replace(small_config, dictionary_dir=dictionaries)
    uncached = dataclasses.replace(config, cache_dir=None)
    build_index(small_passages, tmp_path / "fresh", config=uncached)
    build_index(small_passages, tmp_path / "first", config=config)
    build_index(small_passages, tmp_path / "second", config=config)  # from the cache
    analysed = ("bm25", "vocabulary.json", "glossary.json", "translations.json")

    def files(name: str) -> dict[str, str]:  # the vectors' files may differ in the last bits
        listed = read_json(tmp_path / name / "manifest.json")["files"]
        return {path: digest for path, digest in listed.items() if path.startswith(analysed)}

    assert len(files("fresh")) >= 5
    assert files("first") == files("fresh") == files("second")


def test_an_unwritable_analysis_cache_fails_the_build_and_keeps_the_index(
    small_passages: list[Passage], small_config: IndexConfig, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    config = dataclasses.replace(small_config, cache_dir=cache)
    build_index(small_passages, tmp_path / "index", config=config)
    before = (tmp_path / "index" / "manifest.json").read_bytes()
    for entry in (cache / "analysis").iterdir():
        entry.unlink()
    (cache / "analysis").rmdir()
    (cache / "analysis").write_text("a file where the analysis cache should be")
    changed = [dataclasses.replace(small_passages[0], text="Nieuwe tekst."), *small_passages[1:]]
    with pytest.raises(IndexBuildError, match="previous index.*untouched.*MINUSMA_CACHE_DIR"):
        build_index(changed, tmp_path / "index", config=config)
    assert (tmp_path / "index" / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "index"]  # no temp dir
