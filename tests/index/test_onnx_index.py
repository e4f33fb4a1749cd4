"""MINUSMA_QUERY_ENCODER=onnx: the index carries an ONNX export and queries skip torch."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.build import build_index
from index.encoders import onnx as onnx_encoder
from index.errors import IndexBuildError, IndexLoadError
from index.layout import QUERY_ENCODER_FILE
from index.load import load_index
from index.models import IndexConfig
from ingest.models import Passage

QUERIES = [
    "Waarom werden de helikopters teruggetrokken?",
    "Wat deed ASIFU voor de missie?",
    "Why was the intelligence contribution hard to absorb?",
]


@pytest.fixture(scope="module")
def onnx_config(small_config: IndexConfig) -> IndexConfig:
    return dataclasses.replace(small_config, query_encoder="onnx")


@pytest.fixture(scope="module")
def onnx_index_dir(
    small_passages: list[Passage],
    onnx_config: IndexConfig,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    index_dir = tmp_path_factory.mktemp("onnx") / "index"
    build_index(small_passages, index_dir, config=onnx_config)
    return index_dir


def test_onnx_index_ranks_like_the_torch_index(
    onnx_index_dir: Path, onnx_config: IndexConfig, small_index_dir: Path, small_config: IndexConfig
) -> None:
    onnx_index = load_index(onnx_index_dir, config=onnx_config)
    assert small_config.query_encoder == "torch"  # pinned in tests/index/conftest.py
    torch_index = load_index(small_index_dir, config=small_config)
    assert onnx_index.manifest.query_encoder == "onnx"
    assert QUERY_ENCODER_FILE in onnx_index.manifest.files  # checksummed like every file
    for query in QUERIES:
        assert float(onnx_index.embed_query(query) @ torch_index.embed_query(query)) > 0.9999
        onnx_ids = [h.passage.passage_id for h in onnx_index.search(query, k=5)]
        torch_ids = [h.passage.passage_id for h in torch_index.search(query, k=5)]
        assert onnx_ids == torch_ids


def test_int8_encoder_stays_close_to_the_float_model(
    small_passages: list[Passage],
    small_config: IndexConfig,
    small_index_dir: Path,
    tmp_path: Path,
) -> None:
    int8_config = dataclasses.replace(small_config, query_encoder="onnx-int8")
    build_index(small_passages, tmp_path / "index", config=int8_config)
    int8_index = load_index(tmp_path / "index", config=int8_config)
    torch_index = load_index(small_index_dir, config=small_config)
    assert int8_index.manifest.query_encoder == "onnx-int8"
    assert (tmp_path / "index" / QUERY_ENCODER_FILE).stat().st_size < 40_000_000  # float: 90 MB
    assert not list((tmp_path / "index").glob("*.fp32.onnx"))  # the float graph is not kept
    for query in QUERIES:
        cosine = float(int8_index.embed_query(query) @ torch_index.embed_query(query))
        assert 0.97 < cosine < 0.9999  # close, and really the quantised graph
        int8_ids = [h.passage.passage_id for h in int8_index.search(query, k=5)]
        torch_ids = [h.passage.passage_id for h in torch_index.search(query, k=5)]
        assert int8_ids[0] == torch_ids[0] and len(set(int8_ids) & set(torch_ids)) >= 4
    # each ONNX setting needs its own export
    float_config = dataclasses.replace(small_config, query_encoder="onnx")
    with pytest.raises(IndexLoadError, match="MINUSMA_QUERY_ENCODER=onnx-int8"):
        load_index(tmp_path / "index", config=float_config)


def test_onnx_settings_refuse_an_index_without_the_export(
    small_index_dir: Path, onnx_config: IndexConfig
) -> None:
    with pytest.raises(IndexLoadError, match="MINUSMA_QUERY_ENCODER=torch"):
        load_index(small_index_dir, config=onnx_config)


def test_torch_settings_serve_an_onnx_index(
    onnx_index_dir: Path, small_config: IndexConfig
) -> None:
    assert small_config.query_encoder == "torch"
    index = load_index(onnx_index_dir, config=small_config)
    assert index.search(QUERIES[1], k=3)


def test_serving_queries_from_an_onnx_index_never_imports_torch(
    onnx_index_dir: Path, onnx_config: IndexConfig
) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from index.models import IndexConfig\n"
        "from index.load import load_index\n"
        f"config = IndexConfig(model={onnx_config.model!r}, model_label="
        f"{onnx_config.model_label!r}, query_encoder='onnx')\n"
        f"index = load_index(Path({str(onnx_index_dir)!r}), config=config)\n"
        "assert index.search('Wat deed ASIFU?', k=3)\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "False"]


def test_vectors_are_normalised(onnx_index_dir: Path, onnx_config: IndexConfig) -> None:
    vector = load_index(onnx_index_dir, config=onnx_config).embed_query(QUERIES[0])
    assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-5)


def test_a_rebuild_reuses_the_cached_export(
    small_passages: list[Passage],
    small_config: IndexConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = dataclasses.replace(small_config, query_encoder="onnx", cache_dir=tmp_path / "c")
    build_index(small_passages, tmp_path / "a", config=config)
    (cached,) = (tmp_path / "c" / "onnx").glob("onnx-*.onnx")
    first = (tmp_path / "a" / QUERY_ENCODER_FILE).read_bytes()
    assert cached.read_bytes() == first

    def no_export(*args: object, **kwargs: object) -> None:
        raise AssertionError("a rebuild with the export in the cache must not export again")

    with monkeypatch.context() as patch:
        patch.setattr(onnx_encoder, "export_query_encoder", no_export)
        build_index(small_passages, tmp_path / "b", config=config)
    assert (tmp_path / "b" / QUERY_ENCODER_FILE).read_bytes() == first

    int8 = dataclasses.replace(config, query_encoder="onnx-int8")  # another kind, own entry
    build_index(small_passages, tmp_path / "d", config=int8)
    assert len(list((tmp_path / "c" / "onnx").glob("*.onnx"))) == 2


def test_a_damaged_cached_export_is_made_again(
    small_passages: list[Passage], small_config: IndexConfig, tmp_path: Path
) -> None:
    config = dataclasses.replace(small_config, query_encoder="onnx-int8", cache_dir=tmp_path / "c")
    build_index(small_passages, tmp_path / "a", config=config)
    entries = sorted((tmp_path / "c" / "onnx").glob("*.onnx"))
    assert len(entries) == 2  # the float export (embeds the build's texts) and its int8 form
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:1000])  # e.g. a disk that filled up mid-copy
    build_index(small_passages, tmp_path / "b", config=config)
    index = load_index(tmp_path / "b", config=config)
    vector = index.embed_query(QUERIES[0])
    assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-5)
    assert all(entry.stat().st_size > 1_000_000 for entry in entries)


def test_an_onnx_build_embeds_the_texts_like_torch(
    small_passages: list[Passage], small_config: IndexConfig, small_index_dir: Path, tmp_path: Path
) -> None:
    """Without a cache every text is embedded, on all cores, by the export that will serve
    the queries: the float one stores torch's vectors (the same model, another runtime), the
    int8 one vectors close to them (and really the quantised graph's)."""
    torch_vectors = np.load(small_index_dir / "sentences.npy")
    for encoder, low, high in (("onnx", 0.9999, 1.01), ("onnx-int8", 0.97, 0.9999)):
        config = dataclasses.replace(small_config, query_encoder=encoder, cache_dir=None)
        index_dir = tmp_path / encoder
        manifest = build_index(small_passages, index_dir, config=config)
        assert manifest.counts["embedded"] >= manifest.counts["sentences"] > 0
        onnx_vectors = np.load(index_dir / "sentences.npy")
        assert onnx_vectors.shape == torch_vectors.shape
        cosines = np.sum(onnx_vectors * torch_vectors, axis=1)
        assert low < float(np.min(cosines)) and float(np.max(cosines)) < high, encoder
        leftovers = [p.name for p in index_dir.iterdir() if p.name.startswith(".")]
        assert leftovers == []  # the export made for the build is not left in the index


def test_a_failed_export_leaves_nothing_in_the_cache(
    small_passages: list[Passage],
    small_config: IndexConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An export that dies half-way (here: an error after writing part of the file) leaves
    no partial file in the cache; a build that succeeds leaves only exports and checksums."""
    config = dataclasses.replace(
        small_config, query_encoder="onnx", cache_dir=tmp_path / "c", translate_english=False
    )

    def half_export(model: str, out: Path) -> None:
        out.write_bytes(b"\x08" * 1000)
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(onnx_encoder, "export_query_encoder", half_export)
        with pytest.raises(IndexBuildError, match="No space left on device.*Free space"):
            build_index(small_passages, tmp_path / "index", config=config)
    cached = tmp_path / "c" / "onnx"
    assert not cached.exists() or not any(cached.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]  # no index, no temp dir
    build_index(small_passages, tmp_path / "index", config=config)
    assert {p.suffix for p in cached.iterdir()} == {".onnx", ".sha256"}
