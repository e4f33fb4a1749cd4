"""From the report's blocks to sized, numbered `Passage`s: long ones split, short ones merged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.chunking import MODEL_WINDOW, TokenCounter, group_pieces, split_long, token_counter
from ingest.models import IngestConfig, Passage, PassageKind, SourceLine
from ingest.structure import Block, parse_blocks


def build_passages(
    lines: Sequence[SourceLine], *, source: str, source_sha256: str, config: IngestConfig
) -> list[Passage]:
    """The passages of one source, in reading order (structure: see ingest/structure.py).

    A passage is one paragraph or a few consecutive short paragraphs of the same section
    and kind; long paragraphs are split at sentence boundaries to at most
    `config.max_passage_tokens` word pieces. Footnotes stay whole unless they exceed the
    model window (256 word pieces: two footnotes of the report), then they are split like
    paragraphs (`4.1.1-fn-x`, `4.1.1-fn-x-2`). `paragraph` is the 1-based index of the
    passage among the passages of the same kind in its section (body: `<section>-p<n>`).
    """
    counter = token_counter(config.tokenizer)
    budget = config.max_passage_tokens
    pieces = _pieces(parse_blocks(lines), max_tokens=budget, counter=counter)
    merged = _assemble(pieces, max_tokens=budget, counter=counter)
    return _number(merged, source=source, sha=source_sha256)


@dataclass
class _Piece:
    block: Block
    text: str
    page: str | None
    refs: tuple[str, ...]


def _pieces(blocks: Sequence[Block], *, max_tokens: int, counter: TokenCounter) -> list[_Piece]:
    pieces: list[_Piece] = []
    for block in blocks:
        whole = block.kind is PassageKind.FOOTNOTE and counter.count(block.text) <= MODEL_WINDOW
        parts = (
            [block.text]
            if whole
            else split_long(block.text, max_tokens=max_tokens, counter=counter)
        )
        offset = 0
        for part in parts:
            page = _page_at(block, offset)
            refs = block.note_refs if part is parts[0] else ()
            pieces.append(_Piece(block, part, page, refs))
            offset += sum(char.isalpha() for char in part)
    return pieces


def _page_at(block: Block, letters: int) -> str | None:
    """The page of the line holding the `letters`-th letter of the block's text."""
    seen = 0
    for line in block.lines:
        seen += sum(char.isalpha() for char in line.text)
        if seen > letters:
            return line.page
    return block.lines[-1].page


def _key(block: Block) -> tuple[str, str, PassageKind, str | None, str]:
    return (block.chapter, block.section, block.kind, block.label, block.group)


def _assemble(pieces: Sequence[_Piece], *, max_tokens: int, counter: TokenCounter) -> list[_Piece]:
    """Merge runs of short pieces of one section, kind and group into single passages."""
    out: list[_Piece] = []
    run: list[_Piece] = []
    for piece in [*pieces, None]:
        if run and (
            piece is None
            or _key(piece.block) != _key(run[0].block)
            or piece.block.kind in (PassageKind.FOOTNOTE, PassageKind.CAPTION)
        ):
            out.extend(_merge_run(run, max_tokens=max_tokens, counter=counter))
            run = []
        if piece is not None:
            run.append(piece)
    return out


def _merge_run(run: list[_Piece], *, max_tokens: int, counter: TokenCounter) -> list[_Piece]:
    if run[0].block.kind is PassageKind.FOOTNOTE:
        return list(run)
    sizes = counter.count_batch([piece.text for piece in run])
    merged: list[_Piece] = []
    for group in group_pieces(sizes, max_tokens=max_tokens):
        first = run[group[0]]
        text = "\n".join(run[i].text for i in group)
        refs = tuple(ref for i in group for ref in run[i].refs)
        merged.append(_Piece(first.block, text, first.page, refs))
    return merged


def _number(pieces: Sequence[_Piece], *, source: str, sha: str) -> list[Passage]:
    counters: Counter[tuple[str, str]] = Counter()
    used: set[str] = set()
    passages: list[Passage] = []
    for piece in pieces:
        block = piece.block
        stem = _id_stem(block)
        counters[(block.section, stem)] += 1
        n = counters[(block.section, stem)]
        passage_id = _unique(_passage_id(block, stem, n), used)
        passages.append(
            Passage(
                passage_id=passage_id,
                text=piece.text,
                chapter=block.chapter,
                section=block.section,
                section_title=block.section_title,
                paragraph=n,
                page=piece.page,
                kind=block.kind,
                source=source,
                source_sha256=sha,
                chapter_title=block.chapter_title,
                label=block.label,
                note_refs=piece.refs,
            )
        )
    return passages


def _id_stem(block: Block) -> str:
    kind = block.kind
    if kind is PassageKind.FOOTNOTE:
        return f"fn-{block.label}"
    if kind is PassageKind.FINDING:
        return f"finding-{block.label}"
    if kind is PassageKind.RECOMMENDATION:
        return f"rec-{block.label}"
    if kind is PassageKind.BOX:
        return f"box{block.label}"
    return {PassageKind.CAPTION: "cap", PassageKind.TABLE: "table"}.get(kind, "p")


def _passage_id(block: Block, stem: str, n: int) -> str:
    if block.kind is PassageKind.FOOTNOTE:
        return f"{block.section}-{stem}"
    if block.kind is PassageKind.BODY:
        return f"{block.section}-p{n}"
    return f"{block.section}-{stem}-{n}"


def _unique(passage_id: str, used: set[str]) -> str:
    candidate, k = passage_id, 2
    while candidate in used:
        candidate, k = f"{passage_id}-{k}", k + 1
    used.add(candidate)
    return candidate
