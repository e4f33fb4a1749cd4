"""The encoder contract: texts in, L2-normalised float32 rows out; a dimension; an identity."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np


class Encoder(Protocol):
    """What `Embedder` needs of a model: batch encoding, its dimension, a cache identity."""

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        ...

    @property
    def identity(self) -> str:
        """The key its vectors are cached under (same model, same vectors, same key)."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dimension) L2-normalised float32 vectors of `texts`, in order."""
        ...


def cache_identity(model: str, model_label: str) -> str:
    """The cache's model key: the label, plus a fingerprint of the weights of a local model.

    A model folder re-trained in place keeps its path but not its vectors, so the size and
    modification time of its weight files are part of the key.
    """
    folder = Path(model)
    if not folder.is_dir():
        return model_label
    digest = hashlib.sha256()
    for weights in sorted(folder.rglob("*")):
        if weights.suffix in {".safetensors", ".bin", ".onnx"} and weights.is_file():
            stat = weights.stat()
            digest.update(
                f"{weights.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns};".encode()
            )
    return f"{model_label}@{digest.hexdigest()[:16]}"
