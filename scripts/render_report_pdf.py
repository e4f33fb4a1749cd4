"""Render the report text to a realistic multi-page A4 PDF plus a truth sidecar.

The original report PDF is not shipped, so the PDF ingest path is tested against this
rendering: chapter headings large and bold, § headings bold and larger than the body,
sub-headings, box titles, captions and findings bold, body text in the source's own line
breaks (hyphenated line ends included; the full-width lines of chapter introductions and
tables in smaller type so they keep theirs too), paragraph space for blank lines, a running
header with the report title (not on chapter openings), a footer with printed page labels
(roman from "iii" for the Voorwoord, arabic from "9" at chapter 1, so labels never equal page
indexes), footnote blocks in small type under a separator rule at the bottom of the page
where they occur, re-wrapped to the page width (each footnote block ends its page, as in the
original, so reading order equals source order) and a new page per chapter.

The layout decisions come from simple patterns of the raw text: that is this generator's
knowledge of the layout. The truth sidecar (`OUT.truth.json`) records, for every non-blank
source line, its style, the page label it was rendered on and the physical lines it became.

Usage: python scripts/render_report_pdf.py [SRC.txt] OUT.pdf [--pdf-labels]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pymupdf

DEFAULT_SOURCE = Path(__file__).resolve().parent.parent / "data" / "iob-minusma-evaluatie-2022.txt"
TITLE = "Evaluatie van de Nederlandse bijdrage aan MINUSMA 2014-2019"

PAGE_W, PAGE_H = pymupdf.paper_size("a4")
MARGIN_X = 40.0
TEXT_W = PAGE_W - 2 * MARGIN_X
BODY_TOP = 76.0  # top of the first line box on every page
BODY_BOTTOM = 772.0  # lowest allowed line-box bottom (body and footnotes)
HEADER_BASELINE = 40.0
FOOTER_BASELINE = 812.0
LEADING = 1.3  # line box height as a multiple of the font size
PARAGRAPH_GAP = 7.0  # vertical space for a blank source line (body)
FOOTNOTE_GAP = 3.5  # vertical space for a blank source line inside a footnote block
FOOTNOTE_RULE_SPACE = 12.0  # separator rule above the footnote block
# Printed labels differ from page indexes, as in the real report: the Voorwoord starts on "iii"
# (after cover and title page) and chapter 1 on "9" (after a summary that is not in the text).
FRONT_MATTER_FIRST_LABEL = 3
ARABIC_FIRST_LABEL = 9
WIDE_CHARS = 100  # a source line longer than this came from a full-width layout
MIN_WIDE_SIZE = 7.5  # full-width lines (chapter intros, tables) are set smaller, down to this

# style -> (font size, bold)
STYLES: dict[str, tuple[float, bool]] = {
    "chapter": (20.0, True),
    "section": (13.0, True),
    "subsection": (11.0, True),
    "box": (10.0, True),
    "subheading": (10.0, True),
    "finding": (10.0, True),
    "caption": (10.0, True),
    "body": (10.0, False),
    "footnote": (7.0, False),
}
HEADING_STYLES = frozenset({"chapter", "section", "subsection", "box", "subheading", "caption"})

_ROMAN = r"(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
FOOTNOTE_RE = re.compile(rf"^{_ROMAN}\s+\S")
ROMAN_TOKEN_RE = re.compile(rf"^{_ROMAN}$")
CHAPTER_RE = re.compile(r"^\s+(\d)\.\s+\S")
SECTION_RE = re.compile(r"^\s?(\d)\.(\d+)(?:\.(\d+))?\s+[A-Z]")
BOX_RE = re.compile(r"^\s?Box\s\d+")
FINDING_RE = re.compile(r"^\s?\d{1,2}(?:\.\d{1,2})?\.?\s+(?:Hoofd)?[Bb]evinding:")
CAPTION_RE = re.compile(r"^\s?(?:Figuur|Tabel)\s\d+\.")
TERMINAL = tuple(".,;:!?")


@dataclass(frozen=True, slots=True)
class RenderedLine:
    """Where one non-blank source line ended up in the PDF."""

    line_no: int  # 0-based index into the source's lines
    text: str  # the source line, stripped
    style: str
    page: str  # printed page label
    page_index: int  # 0-based physical page
    pieces: list[str] = field(default_factory=list)  # the physical PDF lines it became
    opened: bool = False  # paragraph space set before it although the source has no blank line


@dataclass(frozen=True, slots=True)
class RenderTruth:
    """What the generator knows about the PDF it wrote; serialised as the sidecar JSON."""

    pdf: str
    source: str
    source_sha256: str
    title: str
    page_labels: list[str]
    lines: list[RenderedLine]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> RenderTruth:
        data = json.loads(text)
        data["lines"] = [RenderedLine(**line) for line in data["lines"]]
        return cls(**data)


@dataclass(slots=True)
class _Item:
    """One unit of the flow: a (possibly wrapped) source line or a paragraph gap."""

    line_no: int
    style: str
    pieces: list[str]
    size: float = 0.0
    gap: bool = False
    opened: bool = False  # the generator set paragraph space before this line (see opens_paragraph)

    @property
    def height(self) -> float:
        if self.gap:
            return FOOTNOTE_GAP if self.style == "footnote" else PARAGRAPH_GAP
        return len(self.pieces) * self.size * LEADING


@dataclass(slots=True)
class _Page:
    chapter: int
    body: list[_Item] = field(default_factory=list)
    footnotes: list[_Item] = field(default_factory=list)

    @property
    def body_height(self) -> float:
        return sum(item.height for item in self.body)


# --- classification: the generator's knowledge of the layout ---------------------------


def _is_wide(line: str) -> bool:
    return len(line.rstrip()) > WIDE_CHARS


def _continues_footnote(lines: list[str], i: int, previous: int) -> bool:
    """Whether non-blank line `i` continues the footnote whose last line is `previous`.

    The source wraps footnotes at full width: a line right after a cut-off (wide) footnote
    line continues it, and after a blank line only a wide line, or a line that the next
    footnote label directly follows, still belongs to the block. A heading or an indented
    line (a new text block) ends it.
    """
    line = lines[i]
    if line[:1].isspace() or SECTION_RE.match(line) or CHAPTER_RE.match(line):
        return False
    if previous == i - 1:
        return _is_wide(lines[previous])
    next_is_label = i + 1 < len(lines) and bool(FOOTNOTE_RE.match(lines[i + 1]))
    lone = i + 1 >= len(lines) or not lines[i + 1].strip()
    tail = lone and line[:1].islower() and _is_wide(lines[previous])  # rest of a cut line
    return _is_wide(line) or next_is_label or tail


def _footnote_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines of footnote blocks (labelled lines and their continuations)."""
    result: set[int] = set()
    previous = -1  # last footnote line of the current block, -1 outside a block
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if FOOTNOTE_RE.match(line) or (previous >= 0 and _continues_footnote(lines, i, previous)):
            result.add(i)
            previous = i
        else:
            previous = -1
    return result


def _heading_continues(lines: list[str], i: int) -> bool:
    """A heading wraps when its line ends in a space and a short line closes the paragraph."""
    line = lines[i]
    if line == line.rstrip() or i + 1 >= len(lines):
        return False
    nxt = lines[i + 1].strip()
    after = lines[i + 2].strip() if i + 2 < len(lines) else ""
    return bool(nxt) and len(nxt) < 60 and not after


def _is_unheaded_intro(line: str, previous_style: str | None) -> bool:
    """A chapter without a heading line opens with an indented full-width introduction."""
    return (
        line[:1].isspace()
        and len(line.rstrip()) > WIDE_CHARS
        and previous_style not in {"chapter", "footnote"}
    )


def opens_paragraph(lines: list[str], i: int) -> bool:
    """An indented line after a finished sentence starts a new text block in the source."""
    line, above = lines[i], lines[i - 1].rstrip() if i > 0 else ""
    return line[:1].isspace() and line.lstrip()[:1].isupper() and above.endswith((".", "!", "?"))


def _heading_shaped(text: str) -> bool:
    """Short, no sentence ending, no digits (which would make it a table cell or a sentence end)."""
    return (
        len(text) <= 70
        and text[:1].isalpha()
        and not text.endswith((*TERMINAL, "-"))
        and not any(char.isdigit() for char in text)
    )


def _is_subheading(lines: list[str], i: int, previous_style: str | None) -> bool:
    """A short stand-alone line that opens a paragraph and does not end like a sentence."""
    text = lines[i].strip()
    opens = (
        i == 0
        or not lines[i - 1].strip()
        or previous_style in HEADING_STYLES
        or opens_paragraph(lines, i)
    )
    return opens and text[:1].isupper() and _heading_shaped(text)


def _continues(lines: list[str], i: int, style: str) -> bool:
    """Whether line i + 1 belongs to the heading, finding or subheading on line i."""
    if i + 1 >= len(lines) or not lines[i + 1].strip():
        return False
    if style == "finding":
        return True  # a finding statement runs to the end of its paragraph
    nxt = lines[i + 1].strip()
    if style == "subheading":
        return _heading_shaped(nxt) and not FOOTNOTE_RE.match(nxt)
    if style == "caption":
        return lines[i] != lines[i].rstrip() and len(nxt) < 60
    return _heading_continues(lines, i)


class _Classifier:
    """One pass over the source lines deciding each line's style (the generator's layout rules)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.footnotes = _footnote_lines(lines)
        self.styles: dict[int, str] = {}
        self.chapter_starts: set[int] = set()
        self.chapter = 0
        self.previous_style: str | None = None

    def style(self, i: int) -> str:
        line = self.lines[i]
        chapter_match = CHAPTER_RE.match(line)
        section_match = SECTION_RE.match(line)
        if i in self.footnotes:
            return "footnote"
        if self.previous_style is None or (
            chapter_match and int(chapter_match.group(1)) > self.chapter
        ):
            self.chapter = int(chapter_match.group(1)) if chapter_match else 0
            self.chapter_starts.add(i)
            return "chapter"
        if _is_unheaded_intro(line, self.previous_style):
            self.chapter += 1
            self.chapter_starts.add(i)
            return "body"
        if section_match and int(section_match.group(1)) == self.chapter and len(line) < 90:
            return "subsection" if section_match.group(3) else "section"
        if BOX_RE.match(line):
            return "box"
        if FINDING_RE.match(line):
            return "finding"
        if CAPTION_RE.match(line):
            return "caption"
        if _is_subheading(self.lines, i, self.previous_style):
            return "subheading"
        return "body"

    def run(self) -> tuple[dict[int, str], set[int]]:
        i = 0
        while i < len(self.lines):
            if not self.lines[i].strip():
                i += 1
                continue
            style = self.styles[i] = self.style(i)
            while style != "body" and style != "footnote" and _continues(self.lines, i, style):
                i += 1
                self.styles[i] = style
                if style != "finding":
                    break
            self.previous_style = style
            i += 1
        return self.styles, self.chapter_starts


def classify(lines: list[str]) -> tuple[dict[int, str], set[int]]:
    """Style of every non-blank line, and the lines that open a new chapter page."""
    return _Classifier(lines).run()


# --- wrapping ------------------------------------------------------------------------------


def _risky_start(token: str) -> bool:
    """A wrapped piece must not start like a footnote label, a number, a bullet or a heading."""
    return not token or token[0].isdigit() or token[0] in "•*|" or bool(ROMAN_TOKEN_RE.match(token))


def _break_ok(tokens: list[str], k: int) -> bool:
    """Whether a line may break before tokens[k] (never after a line-end hyphen look-alike)."""
    return not _risky_start(tokens[k]) and not tokens[k - 1].endswith("-")


class _Metrics:
    """Text widths from cached glyph advances (Font.text_length is slow per call)."""

    def __init__(self, font: pymupdf.Font) -> None:
        self.font = font
        self.advance: dict[str, float] = {}

    def length(self, text: str, size: float) -> float:
        total = 0.0
        for char in text:
            if char not in self.advance:
                self.advance[char] = self.font.glyph_advance(ord(char))
            total += self.advance[char]
        return total * size


_FONTS = {False: "helv", True: "hebo"}
_METRICS = {bold: _Metrics(pymupdf.Font(name)) for bold, name in _FONTS.items()}


def wrap(text: str, metrics: _Metrics, size: float, width: float) -> list[str]:
    """Greedy wrap at single spaces; breaks that would look like structure are avoided."""
    if metrics.length(text, size) <= width:
        return [text]
    tokens = text.split(" ")
    pieces: list[str] = []
    start = 0
    while start < len(tokens):
        end = start + 1
        while (
            end < len(tokens) and metrics.length(" ".join(tokens[start : end + 1]), size) <= width
        ):
            end += 1
        if end < len(tokens):
            k = end
            while k > start + 1 and not _break_ok(tokens, k):
                k -= 1
            end = k if k > start + 1 or _break_ok(tokens, k) else end
        pieces.append(" ".join(tokens[start:end]))
        start = end
    return pieces


# --- pagination ------------------------------------------------------------------------------


def _flow(lines: list[str], styles: dict[int, str]) -> Iterator[_Item]:
    """Source lines as items; runs of blank lines become one gap in the style of the text above."""
    previous_style = "body"
    pending_gap = False
    for i, raw in enumerate(lines):
        text = raw.strip()
        if not text:
            pending_gap = i > 0
            continue
        style = styles[i]
        opened = style != "footnote" and opens_paragraph(lines, i)
        if pending_gap or opened:
            yield _Item(i, previous_style if style == previous_style else "body", [], gap=True)
            pending_gap = False
        size, bold = STYLES[style]
        if style != "footnote":  # full-width lines keep their breaks in smaller type
            natural = _METRICS[bold].length(text, size)
            size = max(MIN_WIDE_SIZE, min(size, int(size * TEXT_W / natural * 20) / 20))
        yield _Item(i, style, wrap(text, _METRICS[bold], size, TEXT_W), size, opened=opened)
        previous_style = style


def _fits(page: _Page, height: float) -> bool:
    return BODY_TOP + page.body_height + height <= BODY_BOTTOM


def _footnote_height(items: list[_Item]) -> float:
    return FOOTNOTE_RULE_SPACE + sum(item.height for item in items)


def _place_footnotes(pages: list[_Page], block: list[_Item]) -> None:
    """Put a footnote block at the bottom of the current page, moving body lines over if needed."""
    page = pages[-1]
    carried: list[_Item] = []
    while page.body and not _fits(page, _footnote_height(block)):
        carried.insert(0, page.body.pop())
    if carried:
        page = _Page(page.chapter, body=carried)
        pages.append(page)
    page.footnotes = block


def _new_page(pages: list[_Page], chapter: int) -> None:
    """Start a page; paragraph space left at the bottom of the full page moves to its top."""
    page = _Page(chapter)
    while pages[-1].body and pages[-1].body[-1].gap:
        page.body.insert(0, pages[-1].body.pop())
    pages.append(page)


def _footnote_block_end(items: list[_Item], start: int) -> int:
    """End of the footnote block starting at `start` (footnote lines and the space between)."""
    end = start
    while end < len(items) and items[end].style == "footnote":
        end += 1
    while items[end - 1].gap:
        end -= 1
    return end


def paginate(lines: list[str], styles: dict[int, str], chapter_starts: set[int]) -> list[_Page]:
    """Lay the flow out on pages: new page per chapter, footnote blocks end their page."""
    items = list(_flow(lines, styles))
    pages = [_Page(chapter=0)]
    chapter = 0
    k = 0
    while k < len(items):
        item = items[k]
        if item.style == "footnote" and not item.gap:
            end = _footnote_block_end(items, k)
            _place_footnotes(pages, items[k:end])
            pages.append(_Page(chapter))
            k = end
            continue
        if item.line_no in chapter_starts and not item.gap:
            chapter += 1 if item.line_no else 0
            if pages[-1].body or pages[-1].footnotes:
                _new_page(pages, chapter)
            pages[-1].chapter = chapter
        keep = item.height
        if item.style in HEADING_STYLES:
            keep += 3 * STYLES["body"][0] * LEADING  # keep a heading with the next lines
        if not _fits(pages[-1], keep) and pages[-1].body:
            _new_page(pages, chapter)
        pages[-1].body.append(item)
        k += 1
    return [page for page in pages if page.body or page.footnotes]


def _roman(number: int) -> str:
    numerals = [
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ]
    out = ""
    for value, numeral in numerals:
        while number >= value:
            out += numeral
            number -= value
    return out


def page_labels(pages: list[_Page]) -> list[str]:
    """Roman labels for the front matter (chapter 0), then arabic from the first chapter on."""
    labels: list[str] = []
    arabic = ARABIC_FIRST_LABEL
    for index, page in enumerate(pages):
        if page.chapter == 0:
            labels.append(_roman(FRONT_MATTER_FIRST_LABEL + index))
        else:
            labels.append(str(arabic))
            arabic += 1
    return labels


# --- rendering -------------------------------------------------------------------------------


def _write_lines(writer: pymupdf.TextWriter, items: list[_Item], top: float) -> float:
    y = top
    for item in items:
        if item.gap:
            y += item.height
            continue
        size, bold = item.size, STYLES[item.style][1]
        for piece in item.pieces:
            y += size * LEADING
            writer.append(
                (MARGIN_X, y - 0.3 * size), piece, font=_METRICS[bold].font, fontsize=size
            )
    return y


def _render_page(doc: pymupdf.Document, page: _Page, label: str, *, opening: bool) -> None:
    pdf_page = doc.new_page(width=PAGE_W, height=PAGE_H)
    writer = pymupdf.TextWriter(pdf_page.rect)
    _write_lines(writer, page.body, BODY_TOP)
    if page.footnotes:
        top = BODY_BOTTOM - sum(item.height for item in page.footnotes)
        rule_y = top - FOOTNOTE_RULE_SPACE / 2
        pdf_page.draw_line((MARGIN_X, rule_y), (MARGIN_X + 140, rule_y), width=0.5)
        _write_lines(writer, page.footnotes, top)
    writer.write_text(pdf_page)
    grey = (0.35, 0.35, 0.35)
    if not opening:  # chapter opening pages carry no running header, as in print
        pdf_page.insert_text(
            (MARGIN_X, HEADER_BASELINE), TITLE, fontsize=8, fontname="helv", color=grey
        )
        pdf_page.draw_line(
            (MARGIN_X, HEADER_BASELINE + 6),
            (PAGE_W - MARGIN_X, HEADER_BASELINE + 6),
            width=0.4,
            color=grey,
        )
    width = pymupdf.get_text_length(label, fontname="helv", fontsize=9)
    pdf_page.insert_text(
        ((PAGE_W - width) / 2, FOOTER_BASELINE), label, fontsize=9, fontname="helv", color=grey
    )


def _truth_lines(pages: list[_Page], labels: list[str]) -> list[RenderedLine]:
    rendered: list[RenderedLine] = []
    for index, page in enumerate(pages):
        for item in page.body + page.footnotes:
            if not item.gap:
                text = " ".join(item.pieces)
                rendered.append(
                    RenderedLine(
                        item.line_no,
                        text,
                        item.style,
                        labels[index],
                        index,
                        item.pieces,
                        item.opened,
                    )
                )
    return sorted(rendered, key=lambda line: line.line_no)


def render_pdf(text_path: Path, pdf_path: Path, *, pdf_labels: bool = False) -> RenderTruth:
    """Render `text_path` to `pdf_path`, write `<pdf>.truth.json` next to it, return the truth.

    With `pdf_labels` the PDF also defines its page labels in the catalog (as many real
    reports do); without it the printed footer is the only place the label appears.
    """
    raw = text_path.read_bytes()
    lines = raw.decode("utf-8").split("\n")
    styles, chapter_starts = classify(lines)
    pages = paginate(lines, styles, chapter_starts)
    labels = page_labels(pages)
    doc = pymupdf.open()
    openings = {
        index
        for index, page in enumerate(pages)
        if any(i.line_no in chapter_starts for i in page.body[:2])
    }
    for index, page in enumerate(pages):
        _render_page(doc, page, labels[index], opening=index in openings)
    if pdf_labels:
        first_arabic = next((i for i, page in enumerate(pages) if page.chapter > 0), len(pages))
        doc.set_page_labels(
            [
                {
                    "startpage": 0,
                    "prefix": "",
                    "style": "r",
                    "firstpagenum": FRONT_MATTER_FIRST_LABEL,
                },
                {
                    "startpage": first_arabic,
                    "prefix": "",
                    "style": "D",
                    "firstpagenum": ARABIC_FIRST_LABEL,
                },
            ]
        )
    doc.set_metadata({"title": TITLE, "creator": "scripts/render_report_pdf.py"})
    doc.subset_fonts()
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(pdf_path, garbage=3, deflate=True)
    doc.close()
    truth = RenderTruth(
        pdf=pdf_path.name,
        source=text_path.name,
        source_sha256=hashlib.sha256(raw).hexdigest(),
        title=TITLE,
        page_labels=labels,
        lines=_truth_lines(pages, labels),
    )
    truth_path(pdf_path).write_text(truth.to_json(), encoding="utf-8")
    return truth


def truth_path(pdf_path: Path) -> Path:
    """Where the truth sidecar of `pdf_path` lives."""
    return pdf_path.with_suffix(".truth.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="[SRC] OUT", help="[source .txt] output .pdf"
    )
    parser.add_argument(
        "--pdf-labels", action="store_true", help="also define page labels in the PDF catalog"
    )
    args = parser.parse_args(argv)
    if len(args.paths) > 2:
        parser.error("expected [SRC] OUT.pdf")
    source, out = (DEFAULT_SOURCE, args.paths[0]) if len(args.paths) == 1 else args.paths
    truth = render_pdf(source, out, pdf_labels=args.pdf_labels)
    print(f"wrote {out} ({len(truth.page_labels)} pages) and {truth_path(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
