"""The ONNX encoder of a sentence-transformers folder: no torch, no transformers at run time.

`export_query_encoder` (needs torch and transformers, run once at build time) writes the
model's transformer as ONNX; `OnnxEncoder` then embeds texts with tokenizers,
onnxruntime and numpy only (the model's own pooling — mean, CLS or max over the attention
mask, read from its folder — then L2 normalisation). The served process embeds one short
question per request with it (one thread); the index build embeds the report's sentences with
the float export on all cores, about 30% faster than torch for the same vectors.

Only models made of a Transformer, a Pooling and optionally a Normalize module can be
reproduced this way; `pooling_mode` refuses any other (a Dense layer, say) with a message
naming MINUSMA_QUERY_ENCODER=torch.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.errors import EmbeddingError

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

ONNX_OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"
DEFAULT_MAX_SEQ_LENGTH = 512


_REPRODUCED_MODULES = ("Transformer", "Pooling", "Normalize")  # class names in modules.json
POOLING_MODES = ("mean", "cls", "max")


class OnnxEncoderError(EmbeddingError):
    """The ONNX query encoder cannot be exported, loaded or run."""


def pooling_mode(model_folder: Path) -> str:
    """How the sentence-transformers model in `model_folder` pools token vectors.

    One of POOLING_MODES, read from modules.json and the Pooling module's config.json; a
    folder without modules.json is a plain transformer, which sentence-transformers mean-pools.
    Raises OnnxEncoderError for a model whose modules the ONNX encoder would not reproduce.
    """
    modules_file = Path(model_folder) / "modules.json"
    if not modules_file.is_file():
        return "mean"
    modules = _read_json_list(modules_file)
    kinds = [str(m.get("type", "")) for m in modules]
    others = sorted(
        {k for k in kinds if not k.startswith("sentence_transformers.")}
        | {k for k in kinds if k.rsplit(".", 1)[-1] not in _REPRODUCED_MODULES}
    )
    pooling = [m for m, k in zip(modules, kinds, strict=True) if k.endswith(".Pooling")]
    if others or len(pooling) != 1:
        found = ", ".join(others) if others else f"{len(pooling)} Pooling modules"
        raise OnnxEncoderError(
            f"the ONNX encoder reproduces Transformer + Pooling + Normalize models only, and "
            f"{model_folder} has {found}; set MINUSMA_QUERY_ENCODER=torch"
        )
    config_file = Path(model_folder) / str(pooling[0].get("path", "")) / "config.json"
    config = _read_json_object(config_file) if config_file.is_file() else {}
    modes = _pooling_modes(config)
    if len(modes) != 1 or modes[0] not in POOLING_MODES:
        raise OnnxEncoderError(
            f"the ONNX encoder pools by {'/'.join(POOLING_MODES)} only, and {config_file} asks "
            f"for {'+'.join(modes)}; set MINUSMA_QUERY_ENCODER=torch"
        )
    return modes[0]


def _read_json_list(path: Path) -> list[dict[str, Any]]:
    data = _read_json(path)
    if not isinstance(data, list) or not all(isinstance(m, dict) for m in data):
        raise OnnxEncoderError(f"{path} is not a list of modules; reinstall the model")
    return data


def _read_json_object(path: Path) -> dict[str, Any]:
    data = _read_json(path)
    if not isinstance(data, dict):
        raise OnnxEncoderError(f"{path} is not a JSON object; reinstall the model")
    return data


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OnnxEncoderError(f"cannot read {path} ({exc}); reinstall the model") from exc


def _pooling_modes(config: dict[str, Any]) -> list[str]:
    """The modes a Pooling config.json asks for: `pooling_mode` (a name or a list, written by
    sentence-transformers >= 6) or the older `pooling_mode_*` flags; mean when it names none."""
    named = config.get("pooling_mode")
    if isinstance(named, str):
        return [named]
    if isinstance(named, list) and named:
        return [str(m) for m in named]
    flags = [k for k, v in config.items() if k.startswith("pooling_mode_") and v is True]
    legacy = {"pooling_mode_cls_token": "cls", "pooling_mode_mean_tokens": "mean"}
    legacy["pooling_mode_max_tokens"] = "max"
    return [legacy.get(k, k.removeprefix("pooling_mode_")) for k in flags] or ["mean"]


def export_query_encoder(model_path: str, out: Path) -> None:
    """Export the transformer of the sentence-transformers folder `model_path` to `out`.

    The graph takes int64 `input_ids`, `attention_mask` and `token_type_ids` of shape
    (batch, sequence) and returns `last_hidden_state` (batch, sequence, hidden); pooling
    and normalisation are left to `OnnxEncoder`.
    """
    import torch
    from transformers import AutoModel

    folder = Path(model_path)
    if not (folder / "config.json").is_file():
        raise OnnxEncoderError(
            f"{model_path!r} is not a local transformer folder (no config.json); pass the "
            "folder of a sentence-transformers model, e.g. packaged_model_path()"
        )
    pooling_mode(folder)  # refuse a model the encoder would not reproduce, before exporting
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


# What `quantize_query_encoder` makes; part of the int8 export's cache key and of its
# vectors' identity in the embedding cache, so a change of recipe never reuses old ones.
QUANTISATION = "int8-ffn-out-float"


def quantize_query_encoder(source: Path, out: Path) -> None:
    """Write `source` (an `export_query_encoder` graph) to `out` with its weights quantised
    to int8, per output channel (onnxruntime dynamic quantisation), except the feed-forward
    output projections (`ffn_output_matmuls`), which stay float.

    Dynamic quantisation also quantises each MatMul's input activations to uint8 over the
    whole tensor; the feed-forward output projection's input (1536 GELU activations per
    token) carries the transformer's outlier features, which that scale crushes. Keeping
    those 12 MatMuls float (7M of multilingual-e5-small's parameters, +21 MB) brings the
    query vectors from cosine 0.9963 to 0.9987 of the float graph's (mean over the gold and
    english_probe questions) and retrieval back to the float model's: english_probe R@5 /
    MRR 0.625 / 0.55 -> 0.75 / 0.52 (float 0.775 / 0.53; MINUSMA_TRANSLATE_ENGLISH off),
    Dutch gold 0.87 / 0.73 -> 0.89 / 0.75 cross-validated, at ~1.35x the all-int8 query CPU
    time and ~1.3x its cold build time (README, Retrieval).
    """
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    quant_logger = logging.getLogger()  # the quantiser advises pre-processing on root
    level = quant_logger.level
    quant_logger.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            Path(source),
            Path(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=ffn_output_matmuls(Path(source)),
        )
    except Exception as exc:  # onnxruntime/onnx raise their own untyped errors
        raise OnnxEncoderError(
            f"cannot quantise {source} ({type(exc).__name__}: {exc}); use "
            "MINUSMA_QUERY_ENCODER=onnx (the float export)"
        ) from exc
    finally:
        quant_logger.setLevel(level)


def ffn_output_matmuls(graph: Path) -> list[str]:
    """The MatMul nodes of the feed-forward output projections in an exported BERT-family
    graph (`.../layer.N/output/dense/MatMul`, not the attention's `.../attention/output/...`)."""
    import onnx

    model = onnx.load(str(graph), load_external_data=False)
    return [
        node.name
        for node in model.graph.node
        if node.op_type == "MatMul"
        and node.name.endswith("/output/dense/MatMul")
        and "/attention/" not in node.name
    ]


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


class OnnxEncoder:
    """Embeds texts with an exported transformer: tokenizers + onnxruntime + numpy."""

    def __init__(
        self,
        onnx_path: Path,
        tokenizer_json: Path,
        *,
        max_length: int | None = None,
        threads: int = 1,
        batch_size: int = 32,
        identity: str | None = None,
    ) -> None:
        """Load the graph and the tokenizer.

        Args:
            onnx_path: the file written by `export_query_encoder`.
            tokenizer_json: the model folder's tokenizer.json (the folder also gives the
                pooling mode, see `pooling_mode`).
            max_length: tokens per text, special tokens included; default the model's
                max_seq_length read from sentence_bert_config.json next to tokenizer_json.
            threads: onnxruntime intra-op threads (1 for a served process answering many
                requests at once; the cores available for a one-off batch job).
            batch_size: texts per run; longer inputs are sorted by length first, so a
                batch pads to similar lengths.
            identity: the cache key of its vectors (default the graph's path); an export
                of a model gives that model's vectors, so `Embedder` passes the model's.
        """
        self.identity = identity or str(onnx_path)
        folder = Path(tokenizer_json).parent
        self._pooling = pooling_mode(folder)
        limit = max_length or max_seq_length(folder)
        self._tokenizer = _load_tokenizer(Path(tokenizer_json), max_length=limit)
        self._session = _load_session(Path(onnx_path), threads=threads)
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._batch_size = max(1, batch_size)

    @property
    def dimension(self) -> int:
        """Embedding dimension (the hidden size of the graph's output)."""
        return int(self._session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) L2-normalised float32 vectors, like SentenceTransformer.encode."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) <= self._batch_size:
            return self._encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            out[rows] = self._encode_batch([texts[i] for i in rows])
        return out

    def _encode_batch(self, texts: Sequence[str]) -> np.ndarray:
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
        return _normalise(_pool(np.asarray(hidden), feeds["attention_mask"], self._pooling))


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


def _load_session(path: Path, *, threads: int) -> onnxruntime.InferenceSession:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
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


def _pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """sentence-transformers' Pooling over the tokens the attention mask keeps."""
    hidden = hidden.astype(np.float32)
    if mode == "cls":
        return hidden[:, 0]
    keep = mask[:, :, None].astype(np.float32)
    if mode == "max":
        return np.where(keep > 0, hidden, -1e9).max(axis=1)
    summed = (hidden * keep).sum(axis=1)
    return summed / np.clip(keep.sum(axis=1), 1e-9, None)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)
