"""English query translation: the dictd reader, the table, and its effect on search.

The dictionaries are small dictd files written here in the FreeDict layout (gzip'd
entries, base64 offsets), so the tests do not depend on the Debian packages.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path

import pytest

from index.build import build_index
from index.hybrid import HybridIndex
from index.load import load_index
from index.models import IndexConfig
from index.translate import (
    ENG_NLD,
    NLD_ENG,
    QueryTranslator,
    b64_number,
    build_table,
    dictionary_pairs,
    parse_entry,
)
from ingest.models import Passage

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

ENGLISH_DUTCH = {
    "00databaseinfo": "English-Dutch test dictionary\n",
    "soldier": "soldier /ˈsoʊldʒər/\n1. militair, soldaat\n2. strijder\n",
    "accident": "accident /æksɪdənt/\nongeluk, ongeval (verkeer)\n",
    "the": "the /ðə/\nde, het\n",
    "...ago": "... ago\n... geleden\n",
}
DUTCH_ENGLISH = {
    "omkomen": "omkomen /ɔmkomən/\ndie, perish\n",
    "geëvalueerd": "geëvalueerd\nevaluated\n",
    " aanvoelen": "... aanvoelen\nfeel...\n",
}
ENGLISH_QUERY = "Which soldiers died?"
DUTCH_QUERY = "Welke militairen kwamen om bij een ongeluk?"
TARGET = "1.3-p7"  # "vier Nederlandse militairen zijn omgekomen tijdens een mortierongeluk"


def _b64(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 64)
        digits = _B64[rest] + digits
        if not number:
            return digits


def write_dictd(directory: Path, name: str, entries: dict[str, str]) -> None:
    """A dictd dictionary (NAME.index + gzip'd NAME.dict.dz) holding `entries`."""
    data, lines = b"", []
    for headword, entry in entries.items():
        raw = entry.encode("utf-8")
        lines.append(f"{headword}\t{_b64(len(data))}\t{_b64(len(raw))}")
        data += raw
    (directory / f"{name}.index").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (directory / f"{name}.dict.dz").write_bytes(gzip.compress(data))


@pytest.fixture(scope="module")
def dict_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dictionaries(tmp_path_factory.mktemp("dictd"))


def write_dictionaries(directory: Path) -> Path:
    """Both small FreeDict dictionaries in `directory`."""
    write_dictd(directory, ENG_NLD, ENGLISH_DUTCH)
    write_dictd(directory, NLD_ENG, DUTCH_ENGLISH)
    return directory


def _build(
    passages: list[Passage], config: IndexConfig, directory: Path, dictionaries: Path
) -> HybridIndex:
    config = dataclasses.replace(config, dictionary_dir=dictionaries, translate_english=True)
    build_index(passages, directory, config=config)
    return load_index(directory, config=config)


@pytest.fixture(scope="module")
def translated(
    small_passages: list[Passage],
    small_config: IndexConfig,
    dict_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> HybridIndex:
    directory = tmp_path_factory.mktemp("translated") / "index"
    return _build(small_passages, small_config, directory, dict_dir)


@pytest.fixture(scope="module")
def untranslated(
    small_passages: list[Passage],
    small_config: IndexConfig,
    tmp_path_factory: pytest.TempPathFactory,
) -> HybridIndex:
    directory = tmp_path_factory.mktemp("untranslated") / "index"
    return _build(small_passages, small_config, directory, directory.parent / "no-dictd")


def test_b64_number_reads_dictd_offsets() -> None:
    assert [b64_number(s) for s in ("A", "B", "BA", "Bn1s")] == [0, 1, 64, 425_324]


def test_parse_entry_splits_senses_and_drops_notes() -> None:
    assert parse_entry(ENGLISH_DUTCH["soldier"]) == ["militair", "soldaat", "strijder"]
    assert parse_entry(ENGLISH_DUTCH["accident"]) == ["ongeluk", "ongeval"]


def test_dictionary_pairs_skip_metadata_and_affixes(dict_dir: Path) -> None:
    pairs = dictionary_pairs(dict_dir)
    assert pairs is not None
    assert ("soldier", "militair") in pairs
    assert ("die", "omkomen") in pairs  # the Dutch -> English dictionary, inverted
    assert ("evaluated", "geevalueerd") in pairs  # accents folded
    assert not any("..." in en or "..." in nl or en.startswith("00") for en, nl in pairs)


def test_dictionary_pairs_none_without_files(tmp_path: Path) -> None:
    assert dictionary_pairs(tmp_path) is None


def test_table_keeps_report_words_and_translates_inflections(dict_dir: Path) -> None:
    pairs = dictionary_pairs(dict_dir)
    assert pairs is not None
    table = build_table(pairs, in_report={"militair", "ongeluk", "omkomen", "de"}.__contains__)
    translator = QueryTranslator(table)
    assert table["soldier"] == ["militair"]  # soldaat/strijder: not in the report
    assert "the" not in table  # function word
    assert translator.translate("Soldiers died in accidents") == "militair omkomen ongeluk"
    assert translator.translate("What did ASIFU's soldiers do?") == "asifu militair"


def test_english_query_finds_passage_only_with_translation(
    translated: HybridIndex, untranslated: HybridIndex
) -> None:
    assert translated.translate(ENGLISH_QUERY) == "militair omkomen"
    after = [h.passage.passage_id for h in translated.search(ENGLISH_QUERY, k=3)]
    assert TARGET in after
    before = [h.passage.passage_id for h in untranslated.search(ENGLISH_QUERY, k=3)]
    assert TARGET not in before


def test_dutch_queries_unchanged(translated: HybridIndex, untranslated: HybridIndex) -> None:
    for query in (DUTCH_QUERY, "helikopters Apaches Chinooks", "spanning tussen ministeries"):
        assert translated.translate(query) == query
        with_table = [(h.passage.passage_id, h.score) for h in translated.search(query)]
        without = [(h.passage.passage_id, h.score) for h in untranslated.search(query)]
        assert with_table == without


def test_build_without_dictionaries(untranslated: HybridIndex) -> None:
    assert untranslated.manifest.counts["translations"] == 0
    assert "translations.json" in untranslated.manifest.files
    assert untranslated.translate(ENGLISH_QUERY) == ENGLISH_QUERY
    assert untranslated.search(ENGLISH_QUERY, k=3)  # English queries still work


def test_build_without_dictionaries_logs_one_line(
    small_passages: list[Passage],
    small_config: IndexConfig,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("WARNING", logger="index.prepare")
    config = dataclasses.replace(small_config, dictionary_dir=tmp_path / "none")
    for _ in range(2):  # the second build reads the analysis from the cache, and still says it
        caplog.clear()
        build_index(small_passages, tmp_path / "index", config=config)
        lines = [r.getMessage() for r in caplog.records if "FreeDict" in r.getMessage()]
        assert len(lines) == 1 and "not translated" in lines[0]
    stored = json.loads((tmp_path / "index" / "translations.json").read_text(encoding="utf-8"))
    assert stored == {}


def test_translation_is_off_unless_the_settings_ask_for_it(
    small_passages: list[Passage], small_config: IndexConfig, dict_dir: Path, tmp_path: Path
) -> None:
    """The default loads an index with a table without using it: English queries are
    searched as before (no word BM25), Dutch ones are untouched either way."""
    assert small_config.translate_english is False
    config = dataclasses.replace(small_config, dictionary_dir=dict_dir)
    build_index(small_passages, tmp_path / "index", config=config)
    default = load_index(tmp_path / "index", config=config)
    assert default.translate(ENGLISH_QUERY) == ENGLISH_QUERY
    opted_in = dataclasses.replace(config, translate_english=True)
    assert load_index(tmp_path / "index", config=opted_in).translate(ENGLISH_QUERY) != ENGLISH_QUERY
    # the answerer's known-words share still reads the glosses (search does not)
    assert default.gloss(ENGLISH_QUERY) == "militair omkomen"
    assert default.gloss("Hoeveel militairen kwamen om?") == "Hoeveel militairen kwamen om?"


def test_opting_in_after_a_build_without_dictionaries_asks_for_a_rebuild(
    small_passages: list[Passage],
    small_config: IndexConfig,
    dict_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An index built before the dictionaries were installed has no table: with the setting
    on, loading warns and `index --if-needed` rebuilds; with it off nothing changes."""
    from cli.index import _translation_table_missing

    without = dataclasses.replace(small_config, dictionary_dir=tmp_path / "none")
    manifest = build_index(small_passages, tmp_path / "index", config=without)
    opted_in = dataclasses.replace(small_config, dictionary_dir=dict_dir, translate_english=True)
    assert _translation_table_missing(manifest.counts, opted_in)
    assert not _translation_table_missing(manifest.counts, small_config)  # setting off
    no_dictionaries = dataclasses.replace(opted_in, dictionary_dir=tmp_path / "none")
    assert not _translation_table_missing(manifest.counts, no_dictionaries)  # cannot help
    caplog.set_level("WARNING", logger="index.load")
    index = load_index(tmp_path / "index", config=opted_in)
    assert index.translate(ENGLISH_QUERY) == ENGLISH_QUERY
    assert any("rebuild" in r.getMessage() for r in caplog.records)
    rebuilt = build_index(small_passages, tmp_path / "index", config=opted_in)
    assert not _translation_table_missing(rebuilt.counts, opted_in)
