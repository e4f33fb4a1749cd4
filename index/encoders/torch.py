"""The sentence-transformers (torch) encoder; the model is loaded once per process, on first use."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from index.encoders.base import cache_identity
from index.errors import EmbeddingError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

BATCH_SIZE = 64
_MODEL_LOCK = threading.Lock()


@functools.cache
def _load_model(model: str) -> SentenceTransformer:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(model, device="cpu")
    except Exception as exc:  # any loader failure becomes one message naming the fix
        raise EmbeddingError(
            f"cannot load embedding model {model!r} ({type(exc).__name__}: {exc}); set "
            "MINUSMA_EMBEDDING_MODEL to a local sentence-transformers folder or an "
            "installed model name"
        ) from exc


def get_model(model: str) -> SentenceTransformer:
    """The process-wide SentenceTransformer for `model` (loaded on first use)."""
    with _MODEL_LOCK:
        return _load_model(model)


class TorchEncoder:
    """Encodes with SentenceTransformer; constructing it loads nothing (a rebuild whose
    texts are all cached never imports torch)."""

    def __init__(self, model: str, *, label: str) -> None:
        """`model`: a sentence-transformers name or folder; `label`: the name it goes by."""
        self.model_name = model
        self.label = label

    @property
    def identity(self) -> str:
        """The label, plus a fingerprint of the weights of a local model (read each time:
        a folder re-trained in place gets a new identity)."""
        return cache_identity(self.model_name, self.label)

    @property
    def dimension(self) -> int:
        """Embedding dimension (loads the model)."""
        dim = get_model(self.model_name).get_sentence_embedding_dimension()
        if not dim:
            raise EmbeddingError(f"model {self.model_name!r} does not report its dimension")
        return int(dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) L2-normalised float32 vectors (loads the model, even for no texts)."""
        model = get_model(self.model_name)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        try:
            import torch

            with torch.inference_mode():
                vectors: Any = model.encode(
                    list(texts),
                    batch_size=BATCH_SIZE,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
        except Exception as exc:
            raise EmbeddingError(
                f"embedding with {self.model_name!r} failed ({type(exc).__name__}: {exc}); "
                "check MINUSMA_EMBEDDING_MODEL"
            ) from exc
        return np.asarray(vectors, dtype=np.float32)
