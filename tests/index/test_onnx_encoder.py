"""The ONNX query encoder against SentenceTransformer on the packaged model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from index.encoders.onnx import (
    OnnxEncoder,
    OnnxEncoderError,
    export_query_encoder,
    ffn_output_matmuls,
    max_seq_length,
    pooling_mode,
    quantize_query_encoder,
)
from index.encoders.registry import packaged_model_path
from ingest.models import Passage
from ingest.sentences import split_sentences

# Generic English questions and statements (not the report's words).
ENGLISH = [
    "What did the evaluation conclude?",
    "hello",
    "Why was the mission extended for another year?",
    "The weather in the north was hot and dry for most of the season.",
    "How many people worked at the headquarters?",
    "Which recommendations were adopted by the government?",
    "A short answer, please.",
    "Costs rose faster than planned because transport by air was expensive.",
    "Who was responsible for intelligence gathering?",
    "Was the contribution effective?",
    "  leading and trailing spaces  ",
    "UPPER CASE QUESTION ABOUT THE BUDGET?",
    "numbers like 2013, 450 and 3.5 million",
]


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged model's transformer exported once for this module."""
    out = tmp_path_factory.mktemp("onnx") / "query_encoder.onnx"
    export_query_encoder(str(packaged_model_path()), out)
    return out


@pytest.fixture(scope="module")
def int8_model(onnx_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export quantised to int8 as the build does for the served query encoder."""
    out = tmp_path_factory.mktemp("int8") / "query_encoder.int8.onnx"
    quantize_query_encoder(onnx_model, out)
    return out


@pytest.fixture(scope="module")
def encoder(onnx_model: Path) -> OnnxEncoder:
    """The ONNX encoder with the packaged model's tokenizer."""
    return OnnxEncoder(onnx_model, packaged_model_path() / "tokenizer.json")


def _test_texts(passages: list[Passage]) -> list[str]:
    """36 Dutch sentences of the fixture passages, one text longer than the model's limit,
    and the English strings: 50 in all."""
    sentences = sorted({s for p in passages for s in split_sentences(p.text)})
    step = max(1, len(sentences) // 36)
    dutch = sentences[::step][:36]
    too_long = " ".join(p.text for p in passages)
    return [*dutch, too_long, *ENGLISH]


def test_matches_sentence_transformers(encoder: OnnxEncoder, small_passages: list[Passage]) -> None:
    from sentence_transformers import SentenceTransformer

    texts = _test_texts(small_passages)
    assert len(texts) == 50
    reference = SentenceTransformer(str(packaged_model_path()), device="cpu").encode(
        texts, normalize_embeddings=True, convert_to_numpy=True
    )
    batched = encoder.encode(texts)
    one_by_one = np.vstack([encoder.encode([t]) for t in texts])
    assert batched.shape == reference.shape == (50, 384)
    assert batched.dtype == np.float32
    assert float(np.min(np.sum(batched * reference, axis=1))) >= 0.9999
    assert float(np.min(np.sum(one_by_one * reference, axis=1))) >= 0.9999
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


def _model_copy(tmp_path: Path, *, pooling: dict[str, object], extra: bool = False) -> Path:
    """The packaged model's files linked into `tmp_path` with another Pooling config (and,
    with `extra`, a Dense module sentence-transformers would apply after pooling)."""
    source = packaged_model_path()
    folder = tmp_path / "model"
    for path in source.rglob("*"):
        if path.is_file():
            target = folder / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    config = folder / "1_Pooling" / "config.json"
    config.unlink()
    config.write_text(json.dumps({"word_embedding_dimension": 384, **pooling}))
    if extra:
        modules = json.loads((source / "modules.json").read_text())
        modules.append({"idx": 3, "name": "3", "path": "3_Dense", "type": f"{ST}Dense"})
        (folder / "modules.json").unlink()
        (folder / "modules.json").write_text(json.dumps(modules))
    return folder


ST = "sentence_transformers.models."


@pytest.mark.parametrize("mode", ["cls", "max"])
def test_other_pooling_modes_match_sentence_transformers(
    mode: str, onnx_model: Path, small_passages: list[Passage], tmp_path: Path
) -> None:
    from sentence_transformers import SentenceTransformer

    folder = _model_copy(
        tmp_path, pooling={f"pooling_mode_{mode}_token{'s' * (mode == 'max')}": True}
    )
    assert pooling_mode(folder) == mode
    texts = _test_texts(small_passages)
    reference = SentenceTransformer(str(folder), device="cpu").encode(
        texts, normalize_embeddings=True, convert_to_numpy=True
    )
    # batches of 4 sorted by length: the batch job's path (the index build's documents)
    encoder = OnnxEncoder(onnx_model, folder / "tokenizer.json", threads=2, batch_size=4)
    vectors = encoder.encode(texts)
    assert float(np.min(np.sum(vectors * reference, axis=1))) >= 0.9999
    mean = OnnxEncoder(onnx_model, packaged_model_path() / "tokenizer.json").encode(texts)
    assert float(np.max(np.sum(vectors * mean, axis=1))) < 0.99  # really another pooling


def test_models_the_encoder_cannot_reproduce_are_refused(tmp_path: Path) -> None:
    dense = _model_copy(tmp_path / "a", pooling={"pooling_mode": "mean"}, extra=True)
    with pytest.raises(OnnxEncoderError, match=r"Dense; set MINUSMA_QUERY_ENCODER=torch"):
        pooling_mode(dense)
    last = _model_copy(tmp_path / "b", pooling={"pooling_mode_lasttoken": True})
    with pytest.raises(OnnxEncoderError, match=r"lasttoken; set MINUSMA_QUERY_ENCODER=torch"):
        pooling_mode(last)
    with pytest.raises(OnnxEncoderError, match="MINUSMA_QUERY_ENCODER=torch"):
        export_query_encoder(str(dense), tmp_path / "out.onnx")  # refused before exporting
    assert not (tmp_path / "out.onnx").exists()
    (dense / "modules.json").unlink()
    (dense / "modules.json").write_text("[{not json")
    with pytest.raises(OnnxEncoderError, match="modules.json.*reinstall the model"):
        pooling_mode(dense)


def test_truncates_to_max_seq_length(encoder: OnnxEncoder, small_passages: list[Passage]) -> None:
    too_long = " ".join(p.text for p in small_passages)
    tokens = encoder._tokenizer.encode(too_long)
    assert max_seq_length(packaged_model_path()) == 256
    assert len(tokens.ids) == 256
    assert encoder.encode([too_long, "kort"]).shape == (2, 384)


def test_empty_batch_has_the_model_dimension(encoder: OnnxEncoder) -> None:
    assert encoder.encode([]).shape == (0, 384)


def test_missing_files_raise_one_message(tmp_path: Path, onnx_model: Path) -> None:
    with pytest.raises(OnnxEncoderError, match="export_query_encoder"):
        OnnxEncoder(tmp_path / "absent.onnx", packaged_model_path() / "tokenizer.json")
    with pytest.raises(OnnxEncoderError, match="tokenizer.json"):
        OnnxEncoder(onnx_model, tmp_path / "tokenizer.json")
    with pytest.raises(OnnxEncoderError, match="config.json"):
        export_query_encoder(str(tmp_path), tmp_path / "out.onnx")


def test_encoding_imports_neither_torch_nor_transformers(onnx_model: Path) -> None:
    import subprocess

    code = (
        "import sys; from pathlib import Path; "
        "from index.encoders.onnx import OnnxEncoder; "
        "from index.encoders.registry import packaged_model_path; "
        f"e = OnnxEncoder(Path({str(onnx_model)!r}), "
        "packaged_model_path() / 'tokenizer.json'); "
        "assert e.encode(['een vraag']).shape == (1, 384); "
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') "
        "if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_quantisation_keeps_the_feed_forward_output_projections_float(
    onnx_model: Path, int8_model: Path, encoder: OnnxEncoder
) -> None:
    """One feed-forward output MatMul per layer stays a float MatMul; every other weight
    MatMul becomes an integer one; the int8 vectors stay close to the float ones."""
    import onnx

    kept = ffn_output_matmuls(onnx_model)
    graph = onnx.load(str(onnx_model), load_external_data=False).graph
    layers = {n.name.split("/")[3] for n in graph.node if "/encoder/layer." in n.name}
    assert len(kept) == len(layers) > 0
    assert all("/attention/" not in name for name in kept)

    out = int8_model
    quantised = onnx.load(str(out), load_external_data=False).graph
    float_matmuls = {n.name for n in quantised.node if n.op_type == "MatMul"}
    assert set(kept) <= float_matmuls
    assert sum(n.op_type == "MatMulInteger" for n in quantised.node) >= 4 * len(layers)

    int8 = OnnxEncoder(out, packaged_model_path() / "tokenizer.json")
    cosines = np.sum(int8.encode(ENGLISH) * encoder.encode(ENGLISH), axis=1)
    assert float(np.min(cosines)) > 0.98


def test_a_query_vector_does_not_depend_on_its_batch(int8_model: Path) -> None:
    """The int8 graph quantises activations per batch, so the same text batched with others
    gets another vector; the Embedder embeds queries one at a time, so it does not."""
    from index.embed import Embedder

    int8 = OnnxEncoder(int8_model, packaged_model_path() / "tokenizer.json")
    alone = int8.encode(ENGLISH[:1])[0]
    assert not np.array_equal(int8.encode(ENGLISH)[0], alone)  # the graph's own behaviour

    embedder = Embedder(
        str(packaged_model_path()), model_label="test", query_encoder_path=int8_model
    )
    batched = embedder.embed_queries(ENGLISH)
    assert batched.shape == (len(ENGLISH), alone.shape[0])
    for i, text in enumerate(ENGLISH):
        assert np.array_equal(batched[i], embedder.embed_queries([text])[0])
    assert embedder.embed_queries([]).shape == (0, alone.shape[0])
