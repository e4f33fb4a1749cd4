"""An ONNX query encoder for a sentence-transformers folder: no torch, no transformers at run time.

`export_query_encoder` (needs torch and transformers, run once at build time) writes the
model's transformer as ONNX; `OnnxQueryEncoder` then embeds queries with tokenizers,
onnxruntime and numpy only (mean pooling over the attention mask, then L2 normalisation),
which is what the served process needs to embed one short question per request.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.embed import EmbeddingError

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

ONNX_OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"
DEFAULT_MAX_SEQ_LENGTH = 512


class OnnxEncoderError(EmbeddingError):
    """The ONNX query encoder cannot be exported, loaded or run."""


def export_query_encoder(model_path: str, out: Path) -> None:
    """Export the transformer of the sentence-transformers folder `model_path` to `out`.

    The graph takes int64 `input_ids`, `attention_mask` and `token_type_ids` of shape
    (batch, sequence) and returns `last_hidden_state` (batch, sequence, hidden); pooling
    and normalisation are left to `OnnxQueryEncoder`.
    """
    import torch
    from transformers import AutoModel

    folder = Path(model_path)
    if not (folder / "config.json").is_file():
        raise OnnxEncoderError(
            f"{model_path!r} is not a local transformer folder (no config.json); pass the "
            "folder of a sentence-transformers model, e.g. packaged_model_path()"
        )
    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager")
    model.eval()
    wrapper = _last_hidden_state_module(model)
    dummy = torch.ones((2, 8), dtype=torch.long)
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    axes[OUTPUT_NAME] = {0: "batch", 1: "sequence"}
    out.parent.mkdir(parents=True, exist_ok=True)
    # The tracer warns about Python-side branches of the attention mask code; the exported
    # graph is checked against SentenceTransformer instead (tests/index/test_onnx_encoder.py).
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            (dummy, dummy, torch.zeros_like(dummy)),
            str(out),
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )


def quantize_query_encoder(source: Path, out: Path) -> None:
    """Write `source` (an `export_query_encoder` graph) to `out` with its MatMul weights
    quantised to int8, per output channel (onnxruntime dynamic quantisation).

    About 3x faster per query on CPU and a quarter of the size; the vectors stay within
    cosine ~0.98 of the float graph's (tests/index/test_onnx_index.py) and the gold set's
    retrieval and answer numbers are unchanged (bench/RESULTS.md).
    """
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    quant_logger = logging.getLogger()  # the quantiser advises pre-processing on root
    level = quant_logger.level
    quant_logger.setLevel(logging.ERROR)
    try:
        quantize_dynamic(Path(source), Path(out), weight_type=QuantType.QInt8, per_channel=True)
    except Exception as exc:  # onnxruntime/onnx raise their own untyped errors
        raise OnnxEncoderError(
            f"cannot quantise {source} ({type(exc).__name__}: {exc}); use "
            "MINUSMA_QUERY_ENCODER=onnx (the float export)"
        ) from exc
    finally:
        quant_logger.setLevel(level)


def _last_hidden_state_module(model: Any) -> Any:
    """A torch module returning only the transformer's last hidden state (a plain tensor)."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            output = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return output.last_hidden_state

    return LastHiddenState()


def max_seq_length(model_folder: Path) -> int:
    """The model's max_seq_length from sentence_bert_config.json (512 when absent)."""
    config = model_folder / "sentence_bert_config.json"
    if not config.is_file():
        return DEFAULT_MAX_SEQ_LENGTH
    value = json.loads(config.read_text(encoding="utf-8")).get("max_seq_length")
    return int(value) if value else DEFAULT_MAX_SEQ_LENGTH


class OnnxQueryEncoder:
    """Embeds texts with an exported transformer: tokenizers + onnxruntime + numpy."""

    def __init__(
        self, onnx_path: Path, tokenizer_json: Path, *, max_length: int | None = None
    ) -> None:
        """Load the graph and the tokenizer.

        Args:
            onnx_path: the file written by `export_query_encoder`.
            tokenizer_json: the model folder's tokenizer.json.
            max_length: tokens per text, special tokens included; default the model's
                max_seq_length read from sentence_bert_config.json next to tokenizer_json.
        """
        limit = max_length or max_seq_length(Path(tokenizer_json).parent)
        self._tokenizer = _load_tokenizer(Path(tokenizer_json), max_length=limit)
        self._session = _load_session(Path(onnx_path))
        self._input_names = {i.name for i in self._session.get_inputs()}

    @property
    def dimension(self) -> int:
        """Embedding dimension (the hidden size of the graph's output)."""
        return int(self._session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) L2-normalised float32 vectors, like SentenceTransformer.encode."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        try:
            (hidden,) = self._session.run(
                [OUTPUT_NAME], {k: v for k, v in feeds.items() if k in self._input_names}
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise OnnxEncoderError(
                f"ONNX query encoder failed ({type(exc).__name__}: {exc}); re-export it "
                "with export_query_encoder"
            ) from exc
        return _normalise(_mean_pool(np.asarray(hidden), feeds["attention_mask"]))


def _load_tokenizer(path: Path, *, max_length: int) -> Tokenizer:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:
        raise OnnxEncoderError(
            f"cannot read tokenizer {path} ({type(exc).__name__}: {exc}); pass the model "
            "folder's tokenizer.json"
        ) from exc
    # tokenizer.json may carry a fixed padding length; pad to the longest text instead.
    padding = tokenizer.padding or {}
    tokenizer.enable_padding(
        pad_id=int(padding.get("pad_id", 0)), pad_token=str(padding.get("pad_token", "[PAD]"))
    )
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def _load_session(path: Path) -> onnxruntime.InferenceSession:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        return onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise OnnxEncoderError(
            f"cannot load ONNX model {path} ({type(exc).__name__}: {exc}); export it with "
            "export_query_encoder"
        ) from exc


def _mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden.astype(np.float32) * weights).sum(axis=1)
    return summed / np.clip(weights.sum(axis=1), 1e-9, None)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)
