"""A Unigram tokenizer's vocabulary cut to the pieces Western European text can produce.

multilingual-e5-small tokenizes with XLM-RoBERTa's SentencePiece Unigram model: 250,002
pieces for a hundred languages, whose trie alone holds ~280 MB in `tokenizers`, and whose
rows are 96M of the model's 118M parameters. Dutch and English text reach a small part of it.

Why the cut changes no segmentation of such text. A Unigram tokenizer normalises the text,
splits it at spaces (the Metaspace pre-tokenizer turns them into "▁"), and segments each
word by Viterbi over a lattice of the pieces that occur in it as substrings, each scored
by its log probability; a character no single-character piece covers gets an <unk> node
scored `min(vocabulary scores) - 10`. A piece that can match inside a text is a substring
of its normalised form, so all its characters occur in that form. Hence for a text whose
normalised form uses only characters of the alphabet `KEPT_ALPHABET`, every piece of its
lattice consists of alphabet characters; keeping all those pieces, with their scores, and
keeping the lowest score (so the <unk> score stays), gives the same lattice and the same
best path, token for token. The normaliser, pre-tokenizer and post-processor stay as they
are; only the ids change, and the embedding rows move with them.

Text outside the alphabet (Cyrillic, Chinese, ...) still encodes: every single-character
piece is kept, so such text falls back to characters where it had longer pieces, never to
<unk> where it had none. The alphabet is ASCII, Latin-1 (the accented letters of Dutch,
English, French and German, and their punctuation and symbols), French Œ œ Ÿ, the Dutch
ĳ, the general punctuation block (dashes, quotes, bullets, ellipsis), € and a few arrows
and mathematical signs, closed under the tokenizer's normaliser (a character whose
normalised form leaves the alphabet brings that form's characters in).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

METASPACE = "\u2581"  # "▁", the pre-tokenizer's replacement of a space
_RANGES = (
    (0x0020, 0x007E),  # ASCII: letters, digits, punctuation
    (0x00A0, 0x00FF),  # Latin-1 Supplement: à-ÿ, « », °, §, ×, ...
    (0x2010, 0x205E),  # General Punctuation: – — ‘ ’ “ ” • … ‰ ′
)
_EXTRA = "ŒœŸĳĲ€™−→←↑↓≤≥≈≠"


@dataclass(frozen=True, slots=True)
class PrunedVocabulary:
    """A tokenizer.json (as parsed JSON) with fewer pieces, and where each piece came from.

    `kept[new_id]` is the piece's id in the full vocabulary, ascending; the model's word
    embedding rows are `full_rows[kept]`.
    """

    tokenizer: dict[str, Any]
    kept: np.ndarray


def base_alphabet() -> frozenset[str]:
    """The characters the kept pieces may be made of, before closing under the normaliser."""
    characters = {chr(code) for start, end in _RANGES for code in range(start, end + 1)}
    return frozenset(characters | set(_EXTRA))


def kept_alphabet(tokenizer: dict[str, Any]) -> frozenset[str]:
    """`base_alphabet()` closed under the tokenizer's normaliser, plus the metaspace."""
    normalise = _normaliser(tokenizer)
    alphabet = set(base_alphabet())
    while True:
        images = {c for character in alphabet for c in normalise(character)} - alphabet
        if not images:
            return frozenset(alphabet | {METASPACE})
        alphabet |= images


def _normaliser(tokenizer: dict[str, Any]) -> Any:
    """The tokenizer's normalize_str, loaded without its (large) vocabulary."""
    from tokenizers import Tokenizer

    bare = {key: value for key, value in tokenizer.items() if key != "model"}
    bare["added_tokens"] = []
    bare["model"] = {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0]]}
    normalizer = Tokenizer.from_str(json.dumps(bare)).normalizer
    return normalizer.normalize_str if normalizer is not None else str


def prune_unigram(tokenizer: dict[str, Any]) -> PrunedVocabulary:
    """The tokenizer with only the pieces text over `kept_alphabet` can produce.

    Kept: the added (special) tokens, every single-character piece, the piece with the
    lowest score (it fixes the <unk> score), and every piece made of alphabet characters.
    Raises ValueError for a tokenizer that is not a Unigram model.
    """
    model = tokenizer.get("model", {})
    if model.get("type") != "Unigram" or model.get("byte_fallback"):
        raise ValueError(f"not a Unigram tokenizer without byte fallback: {model.get('type')}")
    vocab: list[list[Any]] = model["vocab"]
    alphabet = kept_alphabet(tokenizer)
    special = {int(token["id"]) for token in tokenizer.get("added_tokens", [])}
    special |= {int(model["unk_id"]), min(range(len(vocab)), key=lambda i: vocab[i][1])}
    kept = np.array(
        [
            i
            for i, (piece, _score) in enumerate(vocab)
            if i in special or len(piece) == 1 or alphabet.issuperset(piece)
        ],
        dtype=np.int64,
    )
    new_id = {int(old): new for new, old in enumerate(kept)}
    pruned = copy.deepcopy({key: value for key, value in tokenizer.items() if key != "model"})
    unk_id = new_id[int(model["unk_id"])]
    pruned["model"] = {**model, "vocab": [vocab[i] for i in kept], "unk_id": unk_id}
    for token in pruned.get("added_tokens", []):
        token["id"] = new_id[int(token["id"])]
    _remap_post_processor(pruned.get("post_processor"), new_id)
    return PrunedVocabulary(pruned, kept)


def _remap_post_processor(processor: Any, new_id: dict[int, int]) -> None:
    """The post-processor's special token ids (<s>, </s>) follow their pieces."""
    if not isinstance(processor, dict):
        return
    for name in ("cls", "sep"):  # RobertaProcessing and BertProcessing: [piece, id]
        if isinstance(processor.get(name), list):
            processor[name] = [processor[name][0], new_id[int(processor[name][1])]]
    for special in (processor.get("special_tokens") or {}).values():
        special["ids"] = [new_id[int(i)] for i in special.get("ids", [])]
    for inner in processor.get("processors") or []:
        _remap_post_processor(inner, new_id)
