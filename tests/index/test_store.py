"""Building and loading index directories: round trip, atomic rebuild, checks, cache."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from index.build import build_index
from index.errors import IndexBuildError, IndexLoadError
from index.fusion import FUSION_WEIGHTS
from index.load import load_index
from index.models import IndexConfig
from ingest.models import Passage


def test_round_trip(
    small_index_dir: Path, small_config: IndexConfig, small_passages: list[Passage]
) -> None:
    index = load_index(small_index_dir, config=small_config)
    assert [p.passage_id for p in index.passages] == [p.passage_id for p in small_passages]
    assert index.passages == small_passages
    manifest = index.manifest
    assert manifest.embedding_model == small_config.model_label
    assert manifest.dimension == 384 and manifest.normalised
    assert manifest.counts["passages"] == len(small_passages)
    assert {s.sha256 for s in manifest.sources} == {p.source_sha256 for p in small_passages}
    on_disk = json.loads((small_index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert set(on_disk["files"]) >= {"passages.jsonl", "passages.faiss", "sentences.npy"}
    assert "bm25-chars/vocab.index.json" in on_disk["files"]
    # the weights hybrid search uses travel along (the model's own, else the defaults)
    assert manifest.fusion == (small_config.fusion or FUSION_WEIGHTS)


def test_sentences_and_vectors(small_index_dir: Path, small_config: IndexConfig) -> None:
    index = load_index(small_index_dir, config=small_config)
    total = 0
    for passage in index.passages:
        sentences = index.sentences(passage.passage_id)
        vectors = index.sentence_vectors(passage.passage_id)
        assert sentences and vectors.shape == (len(sentences), index.manifest.dimension)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
        for sentence in sentences:
            assert passage.text[sentence.start : sentence.end] == sentence.text
        total += len(sentences)
    assert total == index.manifest.counts["sentences"]
    assert index.sentences("no-such-id") == []
    assert index.sentence_vectors("no-such-id").shape[0] == 0


def test_lookups(small_index_dir: Path, small_config: IndexConfig) -> None:
    index = load_index(small_index_dir, config=small_config)
    ids = [p.passage_id for p in index.passages]
    assert index.passage(ids[3]) == index.passages[3]
    assert index.passage("nope") is None
    assert index.neighbours(ids[0]) == (None, ids[1])
    assert index.neighbours(ids[5]) == (ids[4], ids[6])
    assert index.neighbours(ids[-1]) == (ids[-2], None)
    assert index.neighbours("nope") == (None, None)


def test_interrupted_rebuild_keeps_previous_index(
    tmp_path: Path, small_passages: list[Passage], small_config: IndexConfig
) -> None:
    index_dir = tmp_path / "index"
    first = build_index(small_passages[:8], index_dir, config=small_config)

    def interrupt(stage: str, done: int, total: int) -> None:
        if stage == "embed" and done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index(small_passages, index_dir, config=small_config, on_progress=interrupt)
    survivor = load_index(index_dir, config=small_config)
    assert survivor.manifest.built_at == first.built_at
    assert len(survivor.passages) == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]  # no temp dir left


def test_rebuild_replaces_index(
    tmp_path: Path, small_passages: list[Passage], small_config: IndexConfig
) -> None:
    index_dir = tmp_path / "index"
    build_index(small_passages[:5], index_dir, config=small_config)
    build_index(small_passages, index_dir, config=small_config)
    assert len(load_index(index_dir, config=small_config).passages) == len(small_passages)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]


def test_unwritable_target_is_a_clear_error(
    tmp_path: Path, small_passages: list[Passage], small_config: IndexConfig
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    with pytest.raises(IndexBuildError, match="writable"):
        build_index(small_passages, blocker / "index", config=small_config)


def test_no_passages_is_a_clear_error(tmp_path: Path, small_config: IndexConfig) -> None:
    with pytest.raises(IndexBuildError, match="no passages"):
        build_index([], tmp_path / "index", config=small_config)


def test_cache_hit_embeds_nothing(
    tmp_path: Path, small_passages: list[Passage], small_config: IndexConfig
) -> None:
    config = dataclasses.replace(small_config, cache_dir=tmp_path / "cache")
    cold = build_index(small_passages, tmp_path / "a", config=config)
    warm = build_index(small_passages, tmp_path / "b", config=config)
    assert cold.counts["embedded"] > 0 and cold.counts["cache_hits"] == 0
    assert warm.counts["embedded"] == 0
    assert warm.counts["cache_hits"] == cold.counts["embedded"]
    changed = [
        *small_passages[:-1],
        dataclasses.replace(small_passages[-1], text="Een nieuwe zin."),
    ]
    partial = build_index(changed, tmp_path / "c", config=config)
    assert partial.counts["embedded"] == 2  # the changed passage's one sentence, and itself


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_missing_index(tmp_path: Path, small_config: IndexConfig) -> None:
    with pytest.raises(IndexLoadError, match="minusma-qa index"):
        load_index(tmp_path / "nowhere", config=small_config)


def test_other_model_is_a_clear_error(small_index_dir: Path, small_config: IndexConfig) -> None:
    other = dataclasses.replace(small_config, model_label="intfloat/multilingual-e5-small")
    with pytest.raises(IndexLoadError, match="embedding model") as info:
        load_index(small_index_dir, config=other)
    assert "minusma-qa index" in str(info.value)


def test_other_prefix_is_a_clear_error(small_index_dir: Path, small_config: IndexConfig) -> None:
    other = dataclasses.replace(small_config, query_prefix="query: ")
    with pytest.raises(IndexLoadError, match="query prefix"):
        load_index(small_index_dir, config=other)


@pytest.mark.parametrize(
    "name",
    ["sentences.npy", "passages.faiss", "bm25/vocab.index.json", "bm25-chars/vocab.index.json"],
)
def test_missing_file_is_a_clear_error(
    tmp_path: Path, small_index_dir: Path, small_config: IndexConfig, name: str
) -> None:
    index_dir = _copy(small_index_dir, tmp_path / "index")
    (index_dir / name).unlink()
    with pytest.raises(IndexLoadError, match="missing"):
        load_index(index_dir, config=small_config)


def test_corrupted_file_is_a_clear_error(
    tmp_path: Path, small_index_dir: Path, small_config: IndexConfig
) -> None:
    index_dir = _copy(small_index_dir, tmp_path / "index")
    with (index_dir / "passages.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("{broken\n")
    with pytest.raises(IndexLoadError, match="corrupted"):
        load_index(index_dir, config=small_config)


def test_wrong_format_version_is_a_clear_error(
    tmp_path: Path, small_index_dir: Path, small_config: IndexConfig
) -> None:
    index_dir = _copy(small_index_dir, tmp_path / "index")
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 999
    (index_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexLoadError, match="format version 999"):
        load_index(index_dir, config=small_config)


def test_garbled_manifest_is_a_clear_error(
    tmp_path: Path, small_index_dir: Path, small_config: IndexConfig
) -> None:
    index_dir = _copy(small_index_dir, tmp_path / "index")
    (index_dir / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexLoadError, match="corrupted"):
        load_index(index_dir, config=small_config)


def test_swap_exchanges_atomically_and_keeps_no_leftovers(tmp_path: Path) -> None:
    from index.atomic import swap_into_place

    target, build = tmp_path / "index", tmp_path / ".index.tmp-1"
    for folder, text in ((target, "old"), (build, "new")):
        folder.mkdir()
        (folder / "manifest.json").write_text(text)
    swap_into_place(build, target)
    assert (target / "manifest.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]


def test_a_crash_between_the_fallback_renames_is_recovered(tmp_path: Path) -> None:
    from index.atomic import recover

    # What the non-atomic fallback leaves if killed after moving the old index aside.
    aside = tmp_path / ".index.old-abc" / "index"
    aside.mkdir(parents=True)
    (aside / "manifest.json").write_text("previous")
    target = tmp_path / "index"
    recover(target)
    assert (target / "manifest.json").read_text() == "previous"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux-only")
def test_exchange_swaps_two_directories_in_one_step(tmp_path: Path) -> None:
    from index.atomic import exchange

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "from-a").write_text("x")
    assert exchange(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b" / "from-a").is_file() and not any((tmp_path / "a").iterdir())


def test_an_index_moved_aside_and_never_deleted_is_removed_later(tmp_path: Path) -> None:
    """The fallback swap killed after its two renames, before deleting the old index: once
    an index is in place the leftover is garbage; one a live swap holds is never touched."""
    import fcntl

    from index.atomic import recover, remove_stale_temp_dirs

    target = tmp_path / "index"
    target.mkdir()
    (target / "manifest.json").write_text("current")
    left = tmp_path / ".index.old-killed"
    (left / "index").mkdir(parents=True)
    (left / "index" / "manifest.json").write_text("previous")
    live = tmp_path / ".index.old-live"
    (live / "index").mkdir(parents=True)
    (live / "index" / "manifest.json").write_text("previous")
    fd = os.open(live, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as `_swap_into_place` holds it while it renames
        assert remove_stale_temp_dirs(target) == [left]
        assert live.is_dir() and not left.exists()
        shutil.rmtree(target)  # the live swap between its renames: nothing at the target
        recover(target)
        assert not target.exists()  # its old index is not taken back from under it
    finally:
        os.close(fd)
    recover(target)  # the swap died (its lock went with it): the previous index returns
    assert (target / "manifest.json").read_text() == "previous"
    assert remove_stale_temp_dirs(target) == [live]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]
