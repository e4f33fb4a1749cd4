"""The e5 folder's pruned vocabulary tokenizes Dutch and English text exactly as the full one."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer

from index.encoders.e5 import dequantise, e5_sources, write_transformer
from index.encoders.vocabulary import METASPACE, base_alphabet, kept_alphabet, prune_unigram

OTHER_SCRIPTS = [
    "Привет, как дела в Гао?",  # Cyrillic
    "我们在马里的维和任务",  # Chinese
    "مرحبا بالعالم في مالي",  # Arabic
    "Ελληνικά κείμενα για το Μάλι",  # Greek
    "Žluťoučký kůň v Łódźi",  # Latin Extended-A, outside the kept alphabet
    "😀 ✓ ★ ∑ ∞ ☃",  # symbols and an emoji
    "Gao 和 Kidal — Тимбукту",  # mixed
]
VECTOR_SAMPLE = 24  # report sentences embedded by both folders (the tokens: all of them)
MIN_COSINE = 0.9999


@pytest.fixture(scope="module")
def source_tokenizer_json() -> dict[str, Any]:
    """The packaged tokenizer.json, parsed."""
    return json.loads(e5_sources().tokenizer.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def full() -> Tokenizer:
    """The packaged tokenizer, all 250,002 pieces."""
    return Tokenizer.from_file(str(e5_sources().tokenizer))


@pytest.fixture(scope="module")
def pruned(e5_folder: Path) -> Tokenizer:
    """The materialised folder's tokenizer."""
    return Tokenizer.from_file(str(e5_folder / "tokenizer.json"))


@pytest.fixture(scope="module")
def kept_ids(full: Tokenizer, pruned: Tokenizer) -> np.ndarray:
    """The full vocabulary's id of every piece of the pruned one, by pruned id."""
    pieces = sorted(pruned.get_vocab().items(), key=lambda item: item[1])
    assert [i for _, i in pieces] == list(range(pruned.get_vocab_size()))
    ids = [full.token_to_id(piece) for piece, _ in pieces]
    assert None not in ids
    return np.array(ids, dtype=np.int64)


def _assert_same_tokens(full: Tokenizer, pruned: Tokenizer, texts: list[str]) -> None:
    ours, theirs = pruned.encode_batch(texts), full.encode_batch(texts)
    for text, a, b in zip(texts, ours, theirs, strict=True):
        assert a.tokens == b.tokens, text


def test_report_tokenizes_identically(
    full: Tokenizer, pruned: Tokenizer, kept_ids: np.ndarray, report_texts: list[str]
) -> None:
    """Every sentence and line of the report, as query and as passage: same pieces, and
    the ids map back to the full vocabulary's through `kept_ids`."""
    assert len(report_texts) > 3000
    for prefix in ("query: ", "passage: "):
        texts = [prefix + text for text in report_texts]
        ours, theirs = pruned.encode_batch(texts), full.encode_batch(texts)
        for text, a, b in zip(texts, ours, theirs, strict=True):
            assert a.tokens == b.tokens, text
            assert kept_ids[a.ids].tolist() == b.ids, text


def test_vocabulary_is_less_than_half(pruned: Tokenizer, full: Tokenizer) -> None:
    assert full.get_vocab_size() == 250_002
    assert 100_000 < pruned.get_vocab_size() < 125_000
    for special in ("<s>", "<pad>", "</s>", "<unk>"):  # the ids the model config names
        assert pruned.token_to_id(special) == full.token_to_id(special)
    assert pruned.token_to_id("<mask>") == pruned.get_vocab_size() - 1


def test_word_embedding_rows_follow_their_pieces(e5_folder: Path, kept_ids: np.ndarray) -> None:
    from safetensors.numpy import load_file

    _header, full_tensors = dequantise(e5_sources().weights)
    name = "embeddings.word_embeddings.weight"
    ours = load_file(str(e5_folder / "model.safetensors"))
    assert np.array_equal(ours[name], full_tensors[name][kept_ids])
    for other in set(full_tensors) - {name}:
        assert np.array_equal(ours[other], full_tensors[other]), other


def _report_words(report_texts: list[str]) -> list[str]:
    return sorted({w for text in report_texts[:400] for w in re.findall(r"\S+", text)})


@pytest.fixture(scope="module")
def alphabet(source_tokenizer_json: dict[str, Any]) -> str:
    """The kept alphabet, with the whitespace a text may hold."""
    return "".join(sorted(kept_alphabet(source_tokenizer_json))) + "\n\t"


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_text_over_the_alphabet_tokenizes_identically(
    data: st.DataObject,
    full: Tokenizer,
    pruned: Tokenizer,
    alphabet: str,
    report_texts: list[str],
) -> None:
    """Random strings over the kept alphabet, alone or mixed into the report's words."""
    noise = st.text(alphabet=alphabet, max_size=24)
    pieces = st.lists(st.one_of(noise, st.sampled_from(_report_words(report_texts))), max_size=8)
    text = data.draw(st.one_of(noise, pieces.map(" ".join), pieces.map("".join)))
    _assert_same_tokens(full, pruned, [text, "query: " + text])


def test_alphabet_covers_the_languages(source_tokenizer_json: dict[str, Any]) -> None:
    alphabet = kept_alphabet(source_tokenizer_json)
    text = "Ĳsselmeer, Œuvre, Straße, garçon, naïve, café, «ça», – “quotes” … 5 € 3½ ±2°C"
    assert set(text) - {" "} <= alphabet
    assert base_alphabet() <= alphabet and METASPACE in alphabet
    assert not {"я", "中", "α", "ł"} & alphabet


def test_other_scripts_fall_back_to_characters(full: Tokenizer, pruned: Tokenizer) -> None:
    """Text outside the alphabet still encodes, into shorter pieces, never into <unk> where
    the full vocabulary had none, and decodes to the same text."""
    unk = full.token_to_id("<unk>")
    for text in OTHER_SCRIPTS:
        ours, theirs = pruned.encode(text), full.encode(text)
        assert ours.ids.count(unk) == theirs.ids.count(unk) == 0, text
        assert len(ours.ids) >= len(theirs.ids)
        assert pruned.decode(ours.ids) == full.decode(theirs.ids) == text


def test_other_scripts_embed(model: Any) -> None:
    vectors = model.encode(OTHER_SCRIPTS, prompt_name="query", convert_to_numpy=True)
    assert vectors.shape == (len(OTHER_SCRIPTS), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_report_vectors_equal_the_unpruned_models(
    model: Any, source_tokenizer_json: dict[str, Any], report_texts: list[str], tmp_path: Path
) -> None:
    """The unpruned folder (the packaged tokenizer, all rows) embeds the report alike."""
    from sentence_transformers import SentenceTransformer

    header, tensors = dequantise(e5_sources().weights)
    write_transformer(tmp_path, header, tensors, source_tokenizer_json)
    del tensors
    unpruned = SentenceTransformer(str(tmp_path), device="cpu")
    assert unpruned.tokenizer.vocab_size == 250_002
    sentences = report_texts[:: len(report_texts) // VECTOR_SAMPLE][:VECTOR_SAMPLE]
    for name in ("query", "passage"):
        ours = model.encode(sentences, prompt_name=name, convert_to_numpy=True)
        theirs = unpruned.encode(sentences, prompt_name=name, convert_to_numpy=True)
        cosines = np.sum(ours * theirs, axis=1)
        assert cosines.min() >= MIN_COSINE, (name, cosines.min())


def _toy_tokenizer(source: dict[str, Any], vocab: list[tuple[str, float]]) -> dict[str, Any]:
    toy = {key: value for key, value in source.items() if key != "model"}
    toy["added_tokens"] = [t for t in source["added_tokens"] if t["content"] == "<unk>"]
    toy["added_tokens"][0] = {**toy["added_tokens"][0], "id": 0}
    toy["post_processor"] = None
    toy["model"] = {"type": "Unigram", "unk_id": 0, "vocab": [list(v) for v in vocab]}
    return toy


def test_prune_keeps_the_unk_score_and_renumbers(source_tokenizer_json: dict[str, Any]) -> None:
    """A toy vocabulary: "▁да" goes, "д" and "а" stay (single characters), the rarest piece
    "щи" stays because the <unk> score is the lowest score minus 10; ids close up."""
    vocab = [("<unk>", 0.0), ("▁", -2.0), ("▁da", -3.0), ("▁да", -4.0), ("д", -5.0)]
    vocab += [("а", -5.0), ("a", -6.0), ("щи", -30.0), ("d", -7.0)]
    result = prune_unigram(_toy_tokenizer(source_tokenizer_json, vocab))
    assert result.kept.tolist() == [0, 1, 2, 4, 5, 6, 7, 8]
    assert [p for p, _ in result.tokenizer["model"]["vocab"]] == [
        "<unk>", "▁", "▁da", "д", "а", "a", "щи", "d"
    ]  # fmt: skip
    assert result.tokenizer["model"]["unk_id"] == 0
    tokenizer = Tokenizer.from_str(json.dumps(result.tokenizer))
    assert tokenizer.encode("da да").tokens == ["▁da", "▁", "д", "а"]


def test_prune_refuses_other_models(source_tokenizer_json: dict[str, Any]) -> None:
    wordpiece = {**source_tokenizer_json, "model": {"type": "WordPiece", "vocab": {}}}
    with pytest.raises(ValueError, match="not a Unigram tokenizer"):
        prune_unigram(wordpiece)
