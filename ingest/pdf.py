"""Read a PDF source into `SourceLine`s with page labels and typographic hints (PyMuPDF).

The PDF reader does only what the page shows: it drops running headers and footers (lines
in the top or bottom margin that repeat across pages), reads the printed page label from
the footer (or the catalog's page labels when the PDF defines them), marks the footnote
zone (the trailing run of small-type lines at the bottom of a page), carries font size and
weight, emits a blank line where the page shows paragraph space, and keeps line-end
hyphens: recognising structure and repairing text is the shared parser's job
(`ingest.passages.build_passages`), so the text and PDF paths cannot drift apart.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from ingest.errors import IngestError
from ingest.models import SourceLine

MARGIN_BAND = 0.08  # top/bottom share of the page height where running heads live
MIN_REPEATS = 2  # a margin line must recur on this many pages to count as running
SMALL_TYPE = 0.85  # a footnote line is set below this share of the body font size
PARAGRAPH_SPACE = 0.4  # extra white space (in ems of the smaller line) that means a new paragraph
BASELINE_TOLERANCE = 2.0  # points: spans on baselines this close share a line
SIZE_TOLERANCE = 0.25  # points: font sizes this close count as the same type size
RULE_REACH = 20.0  # points: a separator rule this far above a line can head its footnotes

_NUMBER = re.compile(r"\d+")
_ROMAN_TOKEN = re.compile(r"(?i)(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})")
_PAGE_LABEL_TOKEN = re.compile(
    r"(?i)^(?:\d+|(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3}))$"
)


@dataclass(frozen=True, slots=True)
class _Line:
    """One visual line of a page: its text, where it sits and how it is set."""

    text: str
    x0: float
    y0: float
    y1: float
    baseline: float
    size: float
    bold: bool


@dataclass(frozen=True, slots=True)
class _Page:
    index: int
    height: float
    lines: tuple[_Line, ...]
    catalog_label: str
    has_images: bool
    rules: tuple[float, ...]  # y of short horizontal rules (footnote separators)


def read_pdf_lines(path: Path) -> list[SourceLine]:
    """The text lines of the PDF at `path` in reading order, without running heads.

    Each line carries the printed page label, its font size, whether it is bold and
    whether it sits in the footnote zone; a `SourceLine("")` marks paragraph space.

    Raises:
        IngestError: the file is missing, empty, not a PDF or damaged, encrypted, has no
            text layer (image-only: needs OCR) or no text at all.
    """
    pages = _read_pages(path)
    if not any(page.lines for page in pages):
        raise _no_text_error(path, pages)
    running = _running_lines(pages)
    labels = _page_labels(pages, running)
    content = [[line for line in page.lines if line not in running[page.index]] for page in pages]
    return list(_source_lines(content, labels, pages))


# --- opening -------------------------------------------------------------------------------


def _read_pages(path: Path) -> list[_Page]:
    _check_file(path)
    with _quiet_mupdf(), _open(path) as doc:
        if doc.needs_pass:
            raise IngestError(
                f"{path}: the PDF is encrypted (password protected); decrypt it first, "
                "e.g. `qpdf --decrypt --password=PASSWORD in.pdf out.pdf`"
            )
        if doc.page_count == 0:
            raise IngestError(
                f"{path}: the PDF has no pages (corrupt or empty); pass the full report"
            )
        try:
            return [_read_page(doc.load_page(i)) for i in range(doc.page_count)]
        except (RuntimeError, ValueError) as exc:
            raise IngestError(
                f"{path}: the PDF is damaged ({exc}); re-export or repair it"
            ) from exc


def _check_file(path: Path) -> None:
    if not path.exists():
        raise IngestError(f"{path}: file not found; check the path or set MINUSMA_SOURCES")
    if not path.is_file():
        raise IngestError(f"{path}: not a regular file; pass the path of a .txt or .pdf file")
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty (0 bytes); pass the full report PDF")


@contextmanager
def _open(path: Path) -> Iterator[pymupdf.Document]:
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except (RuntimeError, ValueError) as exc:  # pymupdf.FileDataError is a RuntimeError
        raise IngestError(
            f"{path}: not a readable PDF (corrupt or not a PDF: {exc}); "
            "check the file or re-export it from the original"
        ) from exc
    try:
        yield doc
    finally:
        doc.close()


@contextmanager
def _quiet_mupdf() -> Iterator[None]:
    """MuPDF prints repair warnings for damaged files; the error we raise says it instead."""
    errors = pymupdf.TOOLS.mupdf_display_errors()
    warnings = pymupdf.TOOLS.mupdf_display_warnings()
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    try:
        yield
    finally:
        pymupdf.TOOLS.mupdf_display_errors(errors)
        pymupdf.TOOLS.mupdf_display_warnings(warnings)


def _no_text_error(path: Path, pages: list[_Page]) -> IngestError:
    if any(page.has_images for page in pages):
        return IngestError(
            f"{path}: the PDF has no text layer (image-only, e.g. a scan); "
            "OCR is needed first, e.g. `ocrmypdf in.pdf out.pdf`, then ingest the result"
        )
    return IngestError(f"{path}: the PDF contains no text; pass the report PDF")


# --- lines of a page -------------------------------------------------------------------------


def _read_page(page: pymupdf.Page) -> _Page:
    spans = [
        span
        for block in page.get_text("dict")["blocks"]
        if block.get("type") == 0
        for line in block["lines"]
        if line["dir"] == (1.0, 0.0)  # horizontal text only; rotated margin notes are not prose
        for span in line["spans"]
        if span["text"].strip()
    ]
    return _Page(
        index=page.number,
        height=page.rect.height,
        lines=tuple(_group_lines(spans)),
        catalog_label=page.get_label(),
        has_images=bool(page.get_images()),
        rules=tuple(_separator_rules(page)),
    )


def _separator_rules(page: pymupdf.Page) -> Iterator[float]:
    """Short horizontal strokes: the rule a layout sets above its footnotes."""
    width = page.rect.width
    for drawing in page.get_drawings():
        for item in drawing["items"]:
            if item[0] != "l":
                continue
            start, end = item[1], item[2]
            if abs(start.y - end.y) < 0.5 and 0.05 * width < abs(end.x - start.x) < 0.5 * width:
                yield float(start.y)


def _group_lines(spans: list[dict]) -> Iterator[_Line]:
    """Spans on one baseline form a line; lines come top to bottom."""
    spans = sorted(spans, key=lambda s: (s["origin"][1], s["origin"][0]))
    group: list[dict] = []
    for span in spans:
        if group and span["origin"][1] - group[0]["origin"][1] > BASELINE_TOLERANCE:
            yield _make_line(group)
            group = []
        group.append(span)
    if group:
        yield _make_line(group)


def _make_line(spans: list[dict]) -> _Line:
    spans = sorted(spans, key=lambda s: s["origin"][0])
    text = spans[0]["text"]
    for left, right in zip(spans, spans[1:], strict=False):
        gap = right["bbox"][0] - left["bbox"][2]
        joiner = " " if gap > 0.2 * right["size"] and not text.endswith(" ") else ""
        text += joiner + right["text"]
    weights = Counter[tuple[float, bool]]()
    for span in spans:
        weights[(round(span["size"], 1), _is_bold(span))] += len(span["text"].strip())
    (size, bold), _ = weights.most_common(1)[0]
    return _Line(
        text=" ".join(text.split(" ")).strip(),
        x0=min(s["bbox"][0] for s in spans),
        y0=min(s["bbox"][1] for s in spans),
        y1=max(s["bbox"][3] for s in spans),
        baseline=spans[0]["origin"][1],
        size=size,
        bold=bold,
    )


def _is_bold(span: dict) -> bool:
    return bool(span["flags"] & pymupdf.TEXT_FONT_BOLD) or "bold" in span["font"].lower()


# --- running heads and page labels -----------------------------------------------------------


def _margin_key(line: _Line, height: float) -> tuple[str, int, str] | None:
    """Where and what a margin line is, with numbers blanked so page numbers compare equal."""
    band = MARGIN_BAND * height
    if line.y1 <= band:
        zone = "top"
    elif line.y0 >= height - band:
        zone = "bottom"
    else:
        return None
    text = _NUMBER.sub("#", line.text)
    text = " ".join("#" if _ROMAN_TOKEN.fullmatch(tok) else tok for tok in text.split())
    return zone, round(line.baseline / 3), text


def _running_lines(pages: list[_Page]) -> dict[int, set[_Line]]:
    """Per page, the margin lines whose position and text recur on other pages."""
    keys = {
        page.index: {line: _margin_key(line, page.height) for line in page.lines} for page in pages
    }
    seen = Counter(key for per_page in keys.values() for key in set(per_page.values()) if key)
    return {
        index: {line for line, key in per_page.items() if key and seen[key] >= MIN_REPEATS}
        for index, per_page in keys.items()
    }


def _page_labels(pages: list[_Page], running: dict[int, set[_Line]]) -> list[str]:
    """The catalog's labels when the PDF defines them, else the number printed in the margin."""
    if any(page.catalog_label for page in pages):
        return [page.catalog_label or str(page.index + 1) for page in pages]
    return [_printed_label(page, running[page.index]) for page in pages]


def _printed_label(page: _Page, running: set[_Line]) -> str:
    # Footer before header: a header may carry other numbers (years, report numbers).
    for line in sorted(running, key=lambda line: -line.baseline):
        for token in line.text.replace("|", " ").split():
            if _PAGE_LABEL_TOKEN.match(token.strip("–-—.()[]")):
                return token.strip("–-—.()[]")
    return str(page.index + 1)


# --- reading order, footnote zone, paragraph space -------------------------------------------


def _body_size(content: list[list[_Line]]) -> float:
    sizes = Counter[float]()
    for lines in content:
        for line in lines:
            sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0]


def _line_gap(content: list[list[_Line]]) -> float:
    """Typical white space between consecutive lines, as a share of the lower line's size."""
    ratios = [
        (b.y0 - a.y1) / b.size
        for lines in content
        for a, b in zip(lines, lines[1:], strict=False)
        if a.size == b.size and -1.0 < (b.y0 - a.y1) / b.size < 1.5
    ]
    return statistics.median(ratios) if ratios else 0.0


def _body_top(content: list[list[_Line]]) -> float:
    """Where the text block starts: the highest first-line top that recurs across pages.

    Pages that open with paragraph space start lower, so this is not simply the most common top.
    """
    tops = Counter(round(lines[0].y0) for lines in content if lines)
    recurring = [top for top, n in tops.items() if n >= MIN_REPEATS]
    return float(min(recurring or tops))


def _footnote_start(lines: list[_Line], body_size: float, page: _Page) -> int:
    """Index of the first line of the page's footnote zone (len(lines) when there is none).

    The zone is the trailing run of lines in the page's smallest type, set below the body
    size, either under a footnote separator rule or starting in the lower half of the page.
    """
    if not lines:
        return 0
    smallest = min(line.size for line in lines)
    if smallest >= SMALL_TYPE * body_size:
        return len(lines)
    start = len(lines)
    while start > 0 and lines[start - 1].size <= smallest + SIZE_TOLERANCE:
        start -= 1
    if start == len(lines):
        return start
    top = lines[start].y0
    under_rule = any(top - RULE_REACH <= rule <= top for rule in page.rules)
    return start if under_rule or top > page.height / 2 else len(lines)


def _source_lines(
    content: list[list[_Line]], labels: list[str], pages: list[_Page]
) -> Iterator[SourceLine]:
    body_size = _body_size(content)
    gap = _line_gap(content)
    top = _body_top(content)
    previous: _Line | None = None
    previous_in_notes = False
    for lines, label, page in zip(content, labels, pages, strict=True):
        notes_from = _footnote_start(lines, body_size, page)
        for k, line in enumerate(lines):
            in_notes = k >= notes_from
            # Footnotes are told apart by their labels; space between them carries nothing.
            if previous is not None and (
                in_notes != previous_in_notes
                or (not in_notes and k == 0 and line.y0 - top > PARAGRAPH_SPACE * line.size)
                or (not in_notes and k > 0 and _paragraph_space(lines[k - 1], line, gap))
            ):
                yield SourceLine(text="", page=label)
            yield SourceLine(
                text=line.text,
                page=label,
                font_size=line.size,
                bold=line.bold,
                footnote_zone=in_notes,
            )
            previous, previous_in_notes = line, in_notes


def _paragraph_space(above: _Line, below: _Line, gap: float) -> bool:
    extra = (below.y0 - above.y1) - gap * below.size
    return extra > PARAGRAPH_SPACE * min(above.size, below.size)
