"""Recognise the report's structure in a sequence of `SourceLine`s: the blocks of the report.

The one structure parser for both sources. Text lines carry no hints, so structure comes
from textual patterns and line widths (footnotes and chapter introductions are set wider
than body text in the extraction). PDF lines add the page label, font size, weight and
a footnote-zone flag: then headings must be set in a heading font (bold or larger than
the body font) and footnotes are the lines in the footnote zone.

Recognised: the chapters ("0" for a leading front-matter title such as the Voorwoord, then
"1".."8", also when a chapter opens without a heading line: its first § reveals it), §
headings ("2.1", "3.2.1", wrapped titles), footnotes (roman labels), boxes, figure/table
captions and the table/timeline debris after them, findings ("1.3 Bevinding: …") and
their "Aanbevelingen:" lists, unnumbered sub-headings, bullets, and paragraphs that a
page break, footnote block or figure interrupted.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ingest.models import PassageKind, SourceLine
from ingest.repair import (
    Lexicon,
    is_roman,
    join_lines,
    repair_midline_hyphens,
    repair_split_words_everywhere,
    strip_note_refs,
)

_CHAPTER = re.compile(r"^\s*(?P<num>[1-9]\d?)\.\s+(?P<title>[A-ZÀ-Þ].*)$")
_SECTION = re.compile(r"^\s*(?P<num>\d{1,2}(?:\.\d{1,2}){1,2})\.?\s+(?P<title>[A-ZÀ-Þ‘“'(].*)$")
_FINDING = re.compile(
    r"^\s*(?P<num>\d{1,2}(?:\.\d{1,2})?)\.?\s+(?:Hoofd)?[Bb]evinding\s*:\s*(?P<text>.*)$"
)
_RECOMMENDATIONS = re.compile(r"^\s*Aanbeveling(?:en)?\s*:\s*$")
_BOX = re.compile(r"^\s*(?:Box|Kader)\s+(?P<num>\d+)\b\s*[:.]?\s*(?P<title>.*)$")
_CAPTION = re.compile(r"^\s*(?:Tabel|Figuur|Grafiek|Kaart)\s+\d+\.\s+\S")
_FOOTNOTE = re.compile(r"^\s*(?P<label>[ivxlc]+)\s+(?P<text>[A-ZÀ-Þ‘“'(\d].*)$")
_BULLET = re.compile(r"^\s*[•▪◦‣●]")
_PAGE_MARK = re.compile(r"^\s*\|\s*\d+\s*\|")
_TERMINAL = tuple(".!?:;")
_NUMBER = re.compile(r"^\(?\d[\d.,%)–-]*$")

FALLBACK_CHAPTER_TITLE = "Hoofdstuk {num}"


@dataclass
class Block:
    """One paragraph (or footnote, caption, table row group) before repair and chunking."""

    kind: PassageKind
    chapter: str
    chapter_title: str
    section: str
    section_title: str
    lines: list[SourceLine] = field(default_factory=list)
    label: str | None = None
    group: str = ""  # consecutive blocks with the same group key may share a passage
    prefix: str = ""  # a sub-heading shown as the first line of this paragraph
    text: str = ""
    note_refs: tuple[str, ...] = ()

    @property
    def last_text(self) -> str:
        return self.lines[-1].text.strip() if self.lines else ""


@dataclass(frozen=True)
class _Layout:
    """Line-width and font thresholds measured on the source itself."""

    body_width: float
    hints: bool
    body_font: float | None
    note_width: float = 0.0  # median length of the wide (footnote) lines

    @property
    def full(self) -> float:
        """A line at least this long was broken by the layout, not by the author."""
        return 0.72 * self.body_width

    @property
    def wide(self) -> float:
        """Footnotes and chapter introductions are set wider than this."""
        return 1.25 * self.body_width

    @classmethod
    def measure(cls, lines: Sequence[SourceLine]) -> _Layout:
        lengths = [len(line.text.strip()) for line in lines if len(line.text.strip()) >= 40]
        fonts = [round(line.font_size, 1) for line in lines if line.font_size]
        body_font = Counter(fonts).most_common(1)[0][0] if fonts else None
        width = statistics.median(lengths) if lengths else 80.0
        if lengths:  # the footnote/intro lines are a minority; use the body mode region
            body = [n for n in lengths if n <= 1.2 * width] or lengths
            width = statistics.median(body)
        wide = [n for n in lengths if n > 1.25 * width]
        note_width = float(statistics.median(wide)) if wide else 2.0 * width
        return cls(
            body_width=float(width),
            hints=body_font is not None,
            body_font=body_font,
            note_width=note_width,
        )

    @property
    def note_full(self) -> float:
        """A footnote line at least this long was wrapped: the footnote goes on."""
        return 0.85 * self.note_width

    def heading_font(self, line: SourceLine) -> bool:
        if not self.hints:
            return True
        size = line.font_size or 0.0
        return line.bold or (self.body_font is not None and size >= 1.1 * self.body_font)


class _Parser:
    """A single pass over the lines; each `_at_*` method consumes one construct."""

    def __init__(self, lines: Sequence[SourceLine]) -> None:
        self.lines = list(lines)
        self.layout = _Layout.measure(self.lines)
        self.blocks: list[Block] = []
        self.chapter = ""
        self.chapter_title = ""
        self.section = ""
        self.section_title = ""
        self.last_section_key: tuple[int, ...] = ()
        self.mode = PassageKind.BODY
        self.label: str | None = None
        self.group = ""
        self.current: Block | None = None
        self.open_block: Block | None = None
        self.prefix = ""
        self.box_count = 0
        self.table_count = 0
        self.explicit_chapter = False

    # -- line helpers ----------------------------------------------------------------------

    def text(self, i: int) -> str:
        return self.lines[i].text.strip() if 0 <= i < len(self.lines) else ""

    def blank(self, i: int) -> bool:
        return not self.text(i)

    def next_nonblank(self, i: int) -> int:
        while i < len(self.lines) and self.blank(i):
            i += 1
        return i

    def is_footnote_start(self, i: int) -> bool:
        line = self.lines[i] if i < len(self.lines) else None
        if line is None:
            return False
        match = _FOOTNOTE.match(line.text)
        if match is None or not is_roman(match.group("label")):
            return False
        return line.footnote_zone if self.layout.hints else True

    def is_structural(self, i: int) -> bool:
        """A line that starts a construct of its own (never a continuation line)."""
        text = self.lines[i].text if i < len(self.lines) else ""
        return bool(
            _PAGE_MARK.match(text)
            or _FINDING.match(text)
            or _RECOMMENDATIONS.match(text)
            or _BOX.match(text)
            or _CAPTION.match(text)
            or self.section_match(i)
            or self.chapter_match(i)
            or self.is_footnote_start(i)
        )

    def chapter_match(self, i: int) -> re.Match[str] | None:
        line = self.lines[i]
        match = _CHAPTER.match(line.text)
        if match is None or _FINDING.match(line.text) or not self.layout.heading_font(line):
            return None
        current = int(self.chapter) if self.chapter.isdigit() else 0
        title = match.group("title").strip()
        if int(match.group("num")) <= current or len(title) > 80 or title.endswith("."):
            return None
        return match

    def section_match(self, i: int) -> re.Match[str] | None:
        line = self.lines[i]
        match = _SECTION.match(line.text)
        if match is None or _FINDING.match(line.text) or not self.layout.heading_font(line):
            return None
        key = tuple(int(part) for part in match.group("num").split("."))
        current = int(self.chapter) if self.chapter.isdigit() else 0
        if key[0] not in (current, current + 1) or key <= self.last_section_key:
            return None
        if len(match.group("title")) > 100:
            return None
        return match

    def title_continues(self, i: int, j: int) -> bool:
        """Does line `j` continue the heading that ends on line `i`?"""
        if j >= len(self.lines) or self.blank(j) or self.is_structural(j):
            return False
        if self.layout.hints:
            head, line = self.lines[i], self.lines[j]
            same_font = head.bold == line.bold and head.font_size == line.font_size
            return same_font and head.page == line.page and self.layout.heading_font(line)
        if self.text(i).endswith((".", "?", "!")) or len(self.text(j)) >= self.layout.full:
            return False
        return j + 1 >= len(self.lines) or self.blank(j + 1) or self.is_structural(j + 1)

    def numeric_heavy(self, i: int) -> bool:
        tokens = self.text(i).split()
        numbers = sum(1 for token in tokens if _NUMBER.match(token))
        return len(tokens) >= 3 and numbers >= 3 and numbers / len(tokens) >= 0.3

    def prose_start(self, i: int) -> bool:
        """A line that resumes running text after a figure: two full-width lines."""
        text = self.text(i)
        if len(text) < self.layout.full or text.startswith("*") or self.numeric_heavy(i):
            return False
        following = self.text(i + 1)
        return len(following) >= self.layout.full or following.endswith(_TERMINAL)

    # -- block helpers ---------------------------------------------------------------------

    def new_block(self, kind: PassageKind, *, label: str | None = None, group: str = "") -> Block:
        block = Block(
            kind=kind,
            chapter=self.chapter,
            chapter_title=self.chapter_title,
            section=self.section,
            section_title=self.section_title,
            label=label,
            group=group,
        )
        self.blocks.append(block)
        return block

    def close_paragraph(self) -> None:
        """End the current paragraph; remember it when a later line may continue it."""
        block = self.current
        self.current = None
        if block is None or block.kind in (PassageKind.TABLE, PassageKind.CAPTION):
            return
        self.open_block = None if block.last_text.endswith(_TERMINAL) else block

    def reset(self) -> None:
        self.close_paragraph()
        self.open_block = None

    # -- the pass --------------------------------------------------------------------------

    def run(self) -> list[Block]:
        i = self.next_nonblank(0)
        i = self.at_front_title(i)
        while i < len(self.lines):
            i = self.step(i)
        return [block for block in self.blocks if block.lines]

    def step(self, i: int) -> int:
        text = self.lines[i].text
        if not text.strip():
            self.close_paragraph()
            return i + 1
        if _PAGE_MARK.match(text):
            if self.mode is PassageKind.BOX:
                self.end_box()
            return i + 1
        for handler in (
            self.at_chapter,
            self.at_finding,
            self.at_section,
            self.at_recommendations,
            self.at_footnote,
            self.at_box,
            self.at_caption,
        ):
            consumed = handler(i)
            if consumed is not None:
                return consumed
        if self.mode is PassageKind.TABLE:
            if not self.prose_start(i):
                return self.at_table_line(i)
            self.close_paragraph()
            self.mode, self.group = PassageKind.BODY, ""
        if self.numeric_heavy(i):
            return self.at_table_line(i)
        consumed = self.at_subheading(i)
        return consumed if consumed is not None else self.at_text(i)

    def at_front_title(self, i: int) -> int:
        """A short untitled-number first line ("Voorwoord") is chapter "0"."""
        if i >= len(self.lines):
            return i
        line, text = self.lines[i], self.text(i)
        if (
            len(text) <= 40
            and text[:1].isupper()
            and not text[:1].isdigit()
            and not text.endswith(_TERMINAL)
            and not self.is_structural(i)
            and self.layout.heading_font(line)
        ):
            self.start_chapter("0", text, explicit=True)
            return i + 1
        return i

    def start_chapter(self, num: str, title: str, *, explicit: bool) -> None:
        self.reset()
        self.chapter, self.chapter_title = num, title
        self.section, self.section_title = num, title
        self.mode, self.label, self.group, self.prefix = PassageKind.BODY, None, "", ""
        self.explicit_chapter = explicit

    def at_chapter(self, i: int) -> int | None:
        match = self.chapter_match(i)
        if match is None:
            return None
        title, j = self.heading_title(i, match.group("title"))
        self.start_chapter(match.group("num"), title, explicit=True)
        return j

    def heading_title(self, i: int, title: str) -> tuple[str, int]:
        parts, j = [title.strip()], i + 1
        while self.title_continues(j - 1, j):
            parts.append(self.text(j))
            j += 1
        return re.sub(r"\s+", " ", " ".join(parts)).strip(), j

    def at_section(self, i: int) -> int | None:
        match = self.section_match(i)
        if match is None:
            return None
        num = match.group("num")
        chapter = num.split(".")[0]
        if chapter != self.chapter:
            self.open_implicit_chapter(chapter)
        self.reset()
        title, j = self.heading_title(i, match.group("title"))
        self.section, self.section_title = num, title
        self.last_section_key = tuple(int(part) for part in num.split("."))
        self.mode, self.label, self.group, self.prefix = PassageKind.BODY, None, "", ""
        return j

    def open_implicit_chapter(self, chapter: str) -> None:
        """A § of the next chapter without a chapter heading: the chapter starts at its
        introduction, the wide paragraph(s) and footnotes right before this §."""
        self.start_chapter(chapter, FALLBACK_CHAPTER_TITLE.format(num=chapter), explicit=False)
        start = None
        for index in range(len(self.blocks) - 1, -1, -1):
            block = self.blocks[index]
            if block.kind is PassageKind.FOOTNOTE:
                continue
            if block.kind is PassageKind.BODY and self.is_wide(block):
                start = index
                continue
            break
        for block in self.blocks[start:] if start is not None else []:
            block.chapter, block.chapter_title = self.chapter, self.chapter_title
            block.section, block.section_title = self.section, self.section_title

    def is_wide(self, block: Block) -> bool:
        return max((len(line.text.strip()) for line in block.lines), default=0) > self.layout.wide

    def at_finding(self, i: int) -> int | None:
        match = _FINDING.match(self.lines[i].text)
        if match is None or not self.layout.heading_font(self.lines[i]):
            return None
        self.reset()
        self.mode, self.label, self.prefix = PassageKind.FINDING, match.group("num"), ""
        self.group = f"finding-{self.label}"
        block = self.new_block(PassageKind.FINDING, label=self.label, group=self.group)
        j = i
        while j < len(self.lines) and not self.blank(j) and (j == i or not self.is_structural(j)):
            block.lines.append(self.lines[j])
            j += 1
            if self.text(j - 1).endswith(_TERMINAL):
                break
        return j

    def at_recommendations(self, i: int) -> int | None:
        if not _RECOMMENDATIONS.match(self.lines[i].text):
            return None
        self.reset()
        self.mode = PassageKind.RECOMMENDATION
        self.group = f"rec-{self.label}"
        self.prefix = self.text(i)
        return i + 1

    def at_footnote(self, i: int) -> int | None:
        if not self.is_footnote_start(i):
            return None
        if self.mode is PassageKind.BOX:
            self.end_box()
        match = _FOOTNOTE.match(self.lines[i].text)
        assert match is not None
        block = self.new_block(PassageKind.FOOTNOTE, label=match.group("label"))
        block.lines.append(replace(self.lines[i], text=match.group("text")))
        return self.footnote_rest(i + 1, block)

    def footnote_rest(self, j: int, block: Block) -> int:
        while j < len(self.lines):
            if self.layout.hints:
                line = self.lines[j]
                if self.blank(j) or not line.footnote_zone or self.is_footnote_start(j):
                    return j
                block.lines.append(line)
                j += 1
                continue
            k = j + 1 if self.blank(j) and not self.blank(j + 1) else j
            if self.blank(k) or self.is_structural(k) or not self.footnote_goes_on(block, k):
                return j
            block.lines.append(self.lines[k])
            j = k + 1
        return j

    def footnote_goes_on(self, block: Block, k: int) -> bool:
        """Text mode: does line `k` continue the footnote? Footnote lines are set wide; a
        wrapped footnote continues on the next line (rarely after one blank line)."""
        previous = block.lines[-1].text.strip()
        following = self.text(k)
        ended = previous.rstrip("’”'\")]").endswith((".", "!", "?"))
        if self.blank(k - 1):  # only a wrapped, unfinished line goes on after a blank line
            wrapped = len(previous) >= self.layout.note_full and not ended
            return wrapped and (following[:1].islower() or len(following) >= self.layout.wide)
        if len(previous) >= self.layout.note_full:
            return True
        if len(previous) < self.layout.wide:
            return False
        return not (ended and following[:1].isupper()) or len(following) >= self.layout.wide

    def at_box(self, i: int) -> int | None:
        match = _BOX.match(self.lines[i].text)
        if match is None or not self.layout.heading_font(self.lines[i]):
            return None
        self.reset()
        self.box_count += 1
        self.mode, self.label = PassageKind.BOX, match.group("num")
        self.group = f"box{self.label}"
        title, j = self.heading_title(i, self.text(i))
        block = self.new_block(PassageKind.BOX, label=self.label, group=self.group)
        block.lines.append(replace(self.lines[i], text=title))
        return j

    def end_box(self) -> None:
        self.reset()
        self.mode, self.label, self.group = PassageKind.BODY, None, ""

    def at_caption(self, i: int) -> int | None:
        if not _CAPTION.match(self.lines[i].text):
            return None
        if self.mode is PassageKind.BOX:
            self.end_box()
        self.close_paragraph()
        block = self.new_block(PassageKind.CAPTION)
        _, j = self.heading_title(i, self.text(i))
        block.lines.extend(self.lines[i:j])
        self.mode, self.group = PassageKind.TABLE, ""
        self.table_count += 1
        return j

    def at_table_line(self, i: int) -> int:
        group = f"table{self.table_count}"
        if self.current is None or self.current.kind is not PassageKind.TABLE:
            self.close_paragraph()
            self.current = self.new_block(PassageKind.TABLE, group=group)
        self.current.lines.append(self.lines[i])
        return i + 1

    def at_subheading(self, i: int) -> int | None:
        """A short unnumbered heading ("Afbakening en methodologische beperkingen"), on one
        line or wrapped onto a second short line right before the text it heads."""
        if self.current is not None or self.mode is PassageKind.TABLE:
            return None
        if not self.looks_like_subheading(i):
            return None
        text, j = self.text(i), i + 1
        if self.looks_like_subheading(j) and not self.blank(j + 1):
            text, j = f"{text} {self.text(j)}", j + 1
        self.reset()
        if self.mode in (PassageKind.FINDING, PassageKind.RECOMMENDATION, PassageKind.BOX):
            self.mode, self.label, self.group = PassageKind.BODY, None, ""
        if self.section == self.chapter:
            self.section_title, self.prefix = text, ""
        else:
            self.prefix = text
        return j

    def looks_like_subheading(self, i: int) -> bool:
        """Shorter than a body line, no final punctuation, followed by a blank line or by a
        line that starts a sentence (a wrapped first line would be full width)."""
        text, following = self.text(i), self.text(i + 1)
        if (
            not text
            or len(text) >= 0.88 * self.layout.body_width
            or not text[:1].isupper()
            or text.endswith((*_TERMINAL, ",", "-"))
            or _BULLET.match(text)
            or self.numeric_heavy(i)
            or self.is_structural(i)
        ):
            return False
        if self.layout.hints and not self.layout.heading_font(self.lines[i]):
            return False
        return not following or following[:1].isupper() or following[:1] in "‘“"

    def at_text(self, i: int) -> int:
        line = self.lines[i]
        bullet = bool(_BULLET.match(line.text))
        if self.current is not None and (bullet or self.starts_new_block(i, self.current)):
            self.close_paragraph()
            consumed = self.at_subheading(i)
            if consumed is not None:
                return consumed
        if self.current is None:
            self.current = self.continuation(i, bullet=bullet) or self.start_paragraph()
        self.current.lines.append(line)
        return i + 1

    def starts_new_block(self, i: int, block: Block) -> bool:
        """Text mode: a wide line after normal ones (a chapter introduction), or an indented
        line after a finished sentence, starts a new paragraph without a blank line."""
        if len(self.text(i)) > self.layout.wide and not self.is_wide(block):
            # ...unless it continues a sentence: "Met deze bijdrage," + "gericht op ..."
            return not (self.text(i)[:1].islower() and not block.last_text.endswith(_TERMINAL))
        indented = self.lines[i].text[:1].isspace() and self.text(i)[:1].isupper()
        return not self.layout.hints and indented and block.last_text.endswith((".", "!", "?"))

    def continuation(self, i: int, *, bullet: bool) -> Block | None:
        """The open paragraph this line continues, if any (interrupted by a page break,
        a footnote block or a figure)."""
        block = self.open_block
        if block is None or bullet or block.kind is not self.mode or block.group != self.group:
            return None
        text = self.text(i)
        if self.is_wide(block) != (len(text) > self.layout.wide):
            return None
        if text[:1].islower():
            return block
        last = block.last_text
        return block if len(last) >= self.layout.full and not last.endswith(_TERMINAL) else None

    def start_paragraph(self) -> Block:
        block = self.new_block(self.mode, label=self.label, group=self.group)
        if self.prefix:
            block.prefix, self.prefix = self.prefix, ""
        return block


# --- from lines to repaired blocks --------------------------------------------------------------


def parse_blocks(lines: Sequence[SourceLine]) -> list[Block]:
    """The structural blocks of `lines`, with their text repaired (no chunking yet)."""
    blocks = _Parser(lines).run()
    lexicon = Lexicon.from_texts(line.text for line in lines)
    labels = _footnote_labels(blocks)
    for block in blocks:
        text = repair_midline_hyphens(join_lines([line.text for line in block.lines], lexicon))
        if block.prefix:
            text = f"{block.prefix}\n{text}"
        text, refs = strip_note_refs(text, labels=labels[block.chapter], lexicon=lexicon)
        block.text, block.note_refs = text, tuple(refs)
    _anchor_footnotes(blocks)
    titles = sorted({t for b in blocks for t in (b.section_title, b.chapter_title)})
    repaired, _ = repair_split_words_everywhere([block.text for block in blocks] + titles)
    fixed_title = dict(zip(titles, repaired[len(blocks) :], strict=True))
    for block, text in zip(blocks, repaired, strict=False):
        block.text = text
        block.section_title = fixed_title[block.section_title]
        block.chapter_title = fixed_title[block.chapter_title]
    return [block for block in blocks if block.text.strip()]


def _anchor_footnotes(blocks: Sequence[Block]) -> None:
    """Give each footnote the § of the text that refers to it.

    A footnote block sits where the page put it, often before the next §'s heading or after
    it; its reference is the first non-footnote block of the same chapter whose note marks
    include the footnote's label ("§4.1.1, voetnoot iv", not "hoofdstuk 4"). A footnote no
    text refers to keeps the § where it sits.
    """
    referrer: dict[tuple[str, str], Block] = {}
    for block in blocks:
        if block.kind is not PassageKind.FOOTNOTE:
            for label in block.note_refs:
                referrer.setdefault((block.chapter, label), block)
    for block in blocks:
        if block.kind is PassageKind.FOOTNOTE and block.label:
            anchor = referrer.get((block.chapter, block.label))
            if anchor is not None:
                block.section, block.section_title = anchor.section, anchor.section_title


def _footnote_labels(blocks: Sequence[Block]) -> dict[str, frozenset[str]]:
    labels: dict[str, set[str]] = defaultdict(set)
    for block in blocks:
        if block.kind is PassageKind.FOOTNOTE and block.label:
            labels[block.chapter].add(block.label)
    return defaultdict(frozenset, {chapter: frozenset(found) for chapter, found in labels.items()})
