"""bench/adapt_embedding.py: which parameters each mode trains, what the delta holds, and
the pairs' prefixes (on a tiny real BERT, built from a config: nothing is downloaded)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from adapt_embedding import Pair, save_delta, select_trainable, with_prefixes  # noqa: E402


@pytest.fixture()
def tiny_bert() -> Any:
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=50, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=16, max_position_embeddings=16,
    )  # fmt: skip
    return BertModel(config)


def test_bitfit_trains_biases_and_layernorms_only(tiny_bert: Any) -> None:
    kept = select_trainable(tiny_bert, "bitfit")
    frozen = [n for n, p in tiny_bert.named_parameters() if not p.requires_grad]
    assert kept and all(n.endswith(".bias") or "LayerNorm" in n for n in kept)
    assert "encoder.layer.0.attention.self.query.bias" in kept
    assert "encoder.layer.0.attention.self.query.weight" in frozen
    assert "embeddings.word_embeddings.weight" in frozen
    assert sum(kept.values()) == sum(p.numel() for p in tiny_bert.parameters() if p.requires_grad)


def test_layers_freeze_only_the_word_embeddings(tiny_bert: Any) -> None:
    kept = select_trainable(tiny_bert, "layers")
    frozen = [n for n, p in tiny_bert.named_parameters() if not p.requires_grad]
    assert frozen == ["embeddings.word_embeddings.weight"]
    assert "encoder.layer.1.intermediate.dense.weight" in kept
    assert len(select_trainable(tiny_bert, "all")) == len(list(tiny_bert.parameters()))


def test_unknown_mode_is_refused(tiny_bert: Any) -> None:
    with pytest.raises(ValueError, match="bitfit"):
        select_trainable(tiny_bert, "lora")


def test_delta_holds_exactly_the_trained_parameters(tiny_bert: Any, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    kept = select_trainable(tiny_bert, "bitfit")
    size = save_delta(tiny_bert, sorted(kept), tmp_path / "delta.safetensors")
    delta = load_file(str(tmp_path / "delta.safetensors"))
    assert set(delta) == set(kept)
    assert size == (tmp_path / "delta.safetensors").stat().st_size
    params = dict(tiny_bert.named_parameters())
    assert all(delta[n].equal(params[n].detach()) for n in kept)


def test_pairs_get_query_and_passage_prefixes() -> None:
    pairs = [Pair("crop", "vier woorden uit zin", "de hele passage", "p1")]
    (out,) = with_prefixes(pairs, query="query: ", passage="passage: ")
    assert (out.anchor, out.positive, out.kind, out.group) == (
        "query: vier woorden uit zin",
        "passage: de hele passage",
        "crop",
        "p1",
    )
