"""Passage sizing in all-MiniLM-L6-v2 word pieces."""

from __future__ import annotations

from index.encoders.registry import default_tokenizer
from ingest.chunking import SHORT_TOKENS, group_pieces, split_long, token_counter
from ingest.sentences import split_sentences

COUNTER = token_counter(default_tokenizer())
SENTENCE = "De Nederlandse bijdrage aan MINUSMA was hoogwaardig, herkenbaar en vernieuwend."


def test_count_tokens_is_word_pieces() -> None:
    assert COUNTER.count("de") == 1
    assert COUNTER.count("inlichtingenbijdrage") > 3  # Dutch compounds fall into pieces


def test_split_long_at_sentence_boundaries() -> None:
    text = " ".join([SENTENCE] * 30)
    pieces = split_long(text, max_tokens=60, counter=COUNTER)
    assert len(pieces) > 1
    assert all(COUNTER.count(piece) <= 60 for piece in pieces)
    assert all(
        split_sentences(piece) == [SENTENCE] * len(split_sentences(piece)) for piece in pieces
    )
    assert " ".join(pieces) == text


def test_short_text_is_one_piece() -> None:
    assert split_long(SENTENCE, max_tokens=200, counter=COUNTER) == [SENTENCE]


def test_overlong_sentence_is_cut_at_commas() -> None:
    sentence = ", ".join(["de inzet van militairen en politie in de regio Gao"] * 40) + "."
    pieces = split_long(sentence, max_tokens=50, counter=COUNTER)
    assert all(COUNTER.count(piece) <= 50 for piece in pieces)


def test_group_pieces_merges_only_short_neighbours() -> None:
    assert group_pieces([150, 150, 150], max_tokens=200) == [[0], [1], [2]]
    assert group_pieces([10, 150, 20, 30], max_tokens=200) == [[0, 1, 2], [3]]
    assert group_pieces([SHORT_TOKENS - 1, 190], max_tokens=200) == [[0], [1]]
