"""The ONNX query encoder against SentenceTransformer on the packaged model."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from index.onnx_encoder import (
    OnnxEncoderError,
    OnnxQueryEncoder,
    export_query_encoder,
    max_seq_length,
)
from ingest.models import Passage
from ingest.sentences import split_sentences
from service.settings import packaged_model_path

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
def encoder(onnx_model: Path) -> OnnxQueryEncoder:
    """The ONNX encoder with the packaged model's tokenizer."""
    return OnnxQueryEncoder(onnx_model, packaged_model_path() / "tokenizer.json")


def _test_texts(passages: list[Passage]) -> list[str]:
    """36 Dutch sentences of the fixture passages, one text longer than the model's limit,
    and the English strings: 50 in all."""
    sentences = sorted({s for p in passages for s in split_sentences(p.text)})
    step = max(1, len(sentences) // 36)
    dutch = sentences[::step][:36]
    too_long = " ".join(p.text for p in passages)
    return [*dutch, too_long, *ENGLISH]


def test_matches_sentence_transformers(
    encoder: OnnxQueryEncoder, small_passages: list[Passage]
) -> None:
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


def test_truncates_to_max_seq_length(
    encoder: OnnxQueryEncoder, small_passages: list[Passage]
) -> None:
    too_long = " ".join(p.text for p in small_passages)
    tokens = encoder._tokenizer.encode(too_long)
    assert max_seq_length(packaged_model_path()) == 256
    assert len(tokens.ids) == 256
    assert encoder.encode([too_long, "kort"]).shape == (2, 384)


def test_empty_batch_has_the_model_dimension(encoder: OnnxQueryEncoder) -> None:
    assert encoder.encode([]).shape == (0, 384)


def test_missing_files_raise_one_message(tmp_path: Path, onnx_model: Path) -> None:
    with pytest.raises(OnnxEncoderError, match="export_query_encoder"):
        OnnxQueryEncoder(tmp_path / "absent.onnx", packaged_model_path() / "tokenizer.json")
    with pytest.raises(OnnxEncoderError, match="tokenizer.json"):
        OnnxQueryEncoder(onnx_model, tmp_path / "tokenizer.json")
    with pytest.raises(OnnxEncoderError, match="config.json"):
        export_query_encoder(str(tmp_path), tmp_path / "out.onnx")


def test_encoding_imports_neither_torch_nor_transformers(onnx_model: Path) -> None:
    import subprocess

    code = (
        "import sys; from pathlib import Path; "
        "from index.onnx_encoder import OnnxQueryEncoder; "
        "from service.settings import packaged_model_path; "
        f"e = OnnxQueryEncoder(Path({str(onnx_model)!r}), "
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
