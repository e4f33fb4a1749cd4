"""The embedding cache tells a re-trained local model from its earlier weights."""

from __future__ import annotations

import os
from pathlib import Path

from index.encoders.base import cache_identity


def test_local_model_key_changes_with_its_weights(tmp_path: Path) -> None:
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"first weights")
    before = cache_identity(str(tmp_path), "my-model")
    assert before.startswith("my-model@") and cache_identity(str(tmp_path), "my-model") == before
    weights.write_bytes(b"re-trained weights, longer")
    os.utime(weights, ns=(1, 2))
    assert cache_identity(str(tmp_path), "my-model") != before


def test_hub_name_key_is_the_label() -> None:
    assert cache_identity("intfloat/multilingual-e5-small", "e5") == "e5"
