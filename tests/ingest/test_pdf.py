"""The PDF path against a known truth: the report rendered by scripts/render_report_pdf.py.

The generator records, for every source line, its style and the printed page label it was
rendered on; the PDF path must give the same lines, sections, text and pages as the text
path, drop the running heads, keep footnotes apart, and reject bad PDFs with one clear error.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pymupdf
import pytest

from ingest.errors import IngestError
from ingest.models import Passage, PassageKind, SourceLine
from ingest.passages import build_passages
from ingest.pdf import read_pdf_lines
from tests.ingest.conftest import INGEST_CONFIG

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "data" / "iob-minusma-evaluatie-2022.txt"
SHA = hashlib.sha256(REPORT.read_bytes()).hexdigest()


def _load_renderer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "render_report_pdf", ROOT / "scripts" / "render_report_pdf.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


render = _load_renderer()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    pdf = tmp_path_factory.mktemp("pdf") / "report.pdf"
    truth = render.render_pdf(REPORT, pdf)
    return pdf, truth


@pytest.fixture(scope="module")
def truth(rendered: tuple[Path, Any]) -> Any:
    return rendered[1]


@pytest.fixture(scope="module")
def pdf_lines(rendered: tuple[Path, Any]) -> list[SourceLine]:
    return read_pdf_lines(rendered[0])


@pytest.fixture(scope="module")
def pdf_passages(pdf_lines: list[SourceLine]) -> list[Passage]:
    return build_passages(pdf_lines, source="report.pdf", source_sha256=SHA, config=INGEST_CONFIG)


@pytest.fixture(scope="module")
def text_passages(report_passages: list[Passage]) -> list[Passage]:
    """The text path on the shipped report (the session fixture of tests/ingest/conftest.py)."""
    assert report_passages[0].source == REPORT.name
    return report_passages


def _norm(text: str) -> str:
    return " ".join(text.split())


# --- the generated PDF -----------------------------------------------------------------------


def test_render_is_a_multipage_a4_report_whose_labels_are_not_page_indexes(
    rendered: tuple[Path, Any], truth: Any
) -> None:
    pdf, _ = rendered
    with pymupdf.open(pdf) as doc:
        assert doc.page_count >= 60
        assert all(
            abs(page.rect.width - 595.3) < 1 and abs(page.rect.height - 841.9) < 1 for page in doc
        )
    labels = truth.page_labels
    assert labels[0] == "iii"  # the Voorwoord: roman front matter
    assert all(label != str(i) and label != str(i + 1) for i, label in enumerate(labels))
    assert render.RenderTruth.from_json(render.truth_path(pdf).read_text(encoding="utf-8")) == truth
    styles = Counter(line.style for line in truth.lines)
    assert styles["chapter"] >= 7 and styles["section"] >= 30 and styles["footnote"] >= 150


def test_pdf_lines_are_the_source_lines_with_their_pages_and_footnote_zone(
    truth: Any, pdf_lines: list[SourceLine]
) -> None:
    """Reading order, text (hyphens kept), page label, footnote zone and paragraph space."""
    expected: list[tuple[str, str | None, bool | None]] = []
    source = REPORT.read_text(encoding="utf-8").split("\n")
    by_line = {line.line_no: line for line in truth.lines}
    pending = False
    for i, raw in enumerate(source):
        if not raw.strip():
            pending = bool(expected)
            continue
        line = by_line[i]
        in_notes = line.style == "footnote"
        previous_in_notes = bool(expected) and expected[-1][2] is True
        if expected and expected[-1][0] and previous_in_notes != in_notes:
            pending = True  # the footnote zone is always its own paragraph
        if in_notes and previous_in_notes:
            pending = False  # footnotes are separated by their labels, not by space
        if expected and (pending or line.opened):
            expected.append(("", None, None))
        pending = False
        expected.extend((piece, line.page, in_notes) for piece in line.pieces)
    got = [
        (line.text, line.page, line.footnote_zone) if line.text else ("", None, None)
        for line in pdf_lines
    ]
    assert got == expected


def test_running_header_is_not_read(truth: Any, pdf_lines: list[SourceLine]) -> None:
    # (the footer labels: the exact line comparison above leaves no room for them)
    assert not any(truth.title in line.text for line in pdf_lines)


# --- same structure and text as the text path ------------------------------------------------


def _tree(passages: list[Passage]) -> list[tuple[str, str, str]]:
    return list(dict.fromkeys((p.chapter, p.section, p.section_title) for p in passages))


def test_same_section_tree_as_the_text_path(
    text_passages: list[Passage], pdf_passages: list[Passage]
) -> None:
    assert _tree(pdf_passages) == _tree(text_passages)


def test_same_words_per_section_as_the_text_path(
    text_passages: list[Passage], pdf_passages: list[Passage]
) -> None:
    """Nothing lost or added in any section (word bags: a sentence may sit in another passage)."""

    def words(passages: list[Passage]) -> dict[tuple[str, str], Counter[str]]:
        bags: dict[tuple[str, str], Counter[str]] = {}
        for p in passages:
            bags.setdefault((p.chapter, p.section), Counter()).update(p.text.split())
        return bags

    text, pdf = words(text_passages), words(pdf_passages)
    assert text.keys() == pdf.keys()
    differing = {
        key: (text[key] - pdf[key]) + (pdf[key] - text[key])
        for key in text
        if text[key] != pdf[key]
    }
    assert not differing


def test_passages_equal_the_text_path(
    text_passages: list[Passage], pdf_passages: list[Passage]
) -> None:
    pdf = {p.passage_id: p for p in pdf_passages}
    equal = [
        p.passage_id
        for p in text_passages
        if p.passage_id in pdf
        and _norm(pdf[p.passage_id].text) == _norm(p.text)
        and pdf[p.passage_id].kind is p.kind
    ]
    rest = [p.passage_id for p in text_passages if p.passage_id not in set(equal)]
    assert len(equal) / len(text_passages) >= 0.99, f"differing passages: {rest}"


def test_every_passage_has_the_page_label_of_its_first_line(
    truth: Any, pdf_passages: list[Passage]
) -> None:
    """Locate each passage's first letters in the source (truth order) and compare labels."""
    letters: list[str] = []
    pages: list[str] = []
    for line in truth.lines:
        for char in line.text:
            if char.isalpha():
                letters.append(char.lower())
                pages.append(line.page)
    stream = "".join(letters)
    cursor, wrong, unmatched = 0, [], []
    for passage in pdf_passages:
        found = _locate(stream, "".join(c.lower() for c in passage.text if c.isalpha()), cursor)
        if found is None:
            unmatched.append(passage.passage_id)
            continue
        cursor = found
        if passage.page != pages[found]:
            wrong.append((passage.passage_id, passage.page, pages[found]))
    assert not unmatched and not wrong


def _locate(stream: str, letters: str, near: int) -> int | None:
    """Start of `letters` in `stream`; windows skip removed note marks, and of repeated
    phrases the occurrence nearest the previous passage wins."""
    for offset in range(0, min(len(letters), 300), 10):
        window = letters[offset : offset + 60]
        if len(window) < 8:
            return None
        hits = [m.start() for m in re.finditer(re.escape(window), stream)]
        if hits:
            return max(0, min(hits, key=lambda at: abs(at - near)) - offset)
    return None


def test_footnotes_are_footnote_passages(
    truth: Any, text_passages: list[Passage], pdf_passages: list[Passage]
) -> None:
    notes = [p for p in pdf_passages if p.kind is PassageKind.FOOTNOTE]
    assert len(notes) >= 100
    assert len(notes) == sum(p.kind is PassageKind.FOOTNOTE for p in text_passages)
    labelled = [
        line
        for line in truth.lines
        if line.style == "footnote" and re.match(r"[ivxlc]+ ", line.text)
    ]
    assert {(p.chapter, p.label) for p in notes} >= {
        (p.chapter, p.label) for p in text_passages if p.kind is PassageKind.FOOTNOTE
    }
    body = " ".join(_norm(p.text) for p in pdf_passages if p.kind is not PassageKind.FOOTNOTE)
    starts = [_norm(line.text.split(" ", 1)[1])[:60] for line in labelled]
    assert not [start for start in starts if len(start) >= 40 and start in body]


def test_no_header_or_footer_text_in_passages(truth: Any, pdf_passages: list[Passage]) -> None:
    assert not [p.passage_id for p in pdf_passages if truth.title in p.text]


# --- page labels and running heads on other layouts -----------------------------------------


def _small_pdf(
    path: Path, *, header: str, footer: Callable[[int], str] | None, pages: int = 3
) -> Path:
    doc = pymupdf.open()
    for index in range(pages):
        page = doc.new_page(width=595, height=842)
        page.insert_text((50, 30), header, fontsize=8)
        page.insert_text((50, 100), f"Tekst van pagina {index + 1} met een zin.", fontsize=10)
        page.insert_text((50, 113), "Tweede regel van dezelfde alinea.", fontsize=10)
        if footer is not None:
            page.insert_text((500 if index % 2 else 60, 820), footer(index), fontsize=9)
    doc.save(path)
    return path


def test_running_heads_are_found_by_repetition_not_by_their_text(tmp_path: Path) -> None:
    pdf = _small_pdf(
        tmp_path / "other.pdf",
        header="Een heel ander rapport | 2023",
        footer=lambda i: f"Pagina {i + 41}",
    )
    lines = read_pdf_lines(pdf)
    texts = [line.text for line in lines if line.text]
    assert texts == [
        text
        for i in range(3)
        for text in (f"Tekst van pagina {i + 1} met een zin.", "Tweede regel van dezelfde alinea.")
    ]
    assert [line.page for line in lines if line.text][::2] == ["41", "42", "43"]


def test_catalog_page_labels_win_over_indexes(tmp_path: Path) -> None:
    pdf = tmp_path / "labels.pdf"
    _small_pdf(pdf, header="Kop", footer=None)
    with pymupdf.open(pdf) as doc:
        doc.set_page_labels([{"startpage": 0, "prefix": "A-", "style": "D", "firstpagenum": 7}])
        doc.save(tmp_path / "labelled.pdf")
    lines = read_pdf_lines(tmp_path / "labelled.pdf")
    assert sorted({str(line.page) for line in lines if line.text}) == ["A-7", "A-8", "A-9"]


def test_rendering_with_catalog_labels_gives_the_same_lines(
    tmp_path: Path, truth: Any, pdf_lines: list[SourceLine]
) -> None:
    pdf = tmp_path / "labelled-report.pdf"
    labelled = render.render_pdf(REPORT, pdf, pdf_labels=True)
    assert labelled.page_labels == truth.page_labels
    assert read_pdf_lines(pdf) == pdf_lines


# --- bad input -------------------------------------------------------------------------------


def _corrupt(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    return path


def _not_a_pdf(path: Path) -> Path:
    path.write_text("Dit is geen PDF maar platte tekst.\n", encoding="utf-8")
    return path


def _truncated(path: Path) -> Path:
    _small_pdf(path.with_suffix(".full.pdf"), header="Kop", footer=None)
    path.write_bytes(path.with_suffix(".full.pdf").read_bytes()[:400])
    return path


def _encrypted(path: Path) -> Path:
    doc = pymupdf.open()
    doc.new_page().insert_text((50, 100), "Geheime tekst.", fontsize=10)
    doc.save(
        path, encryption=pymupdf.mupdf.PDF_ENCRYPT_AES_256, user_pw="geheim", owner_pw="eigenaar"
    )
    return path


def _image_only(path: Path) -> Path:
    doc = pymupdf.open()
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 120, 60), False)
    pixmap.set_rect(pixmap.irect, (230, 230, 230))
    doc.new_page().insert_image(pymupdf.Rect(50, 50, 450, 250), pixmap=pixmap)
    doc.save(path)
    return path


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _blank_pages(path: Path) -> Path:
    doc = pymupdf.open()
    doc.new_page()
    doc.save(path)
    return path


BAD_PDFS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "corrupt": (_corrupt, "corrupt"),
    "not-a-pdf": (_not_a_pdf, "not a PDF"),
    "truncated": (_truncated, "PDF"),
    "encrypted": (_encrypted, "encrypted"),
    "image-only": (_image_only, "OCR"),
    "empty": (_empty, "empty"),
    "blank-pages": (_blank_pages, "no text"),
}


@pytest.mark.parametrize("kind", sorted(BAD_PDFS))
def test_bad_pdf_is_one_clear_error_naming_file_and_reason(tmp_path: Path, kind: str) -> None:
    make, reason = BAD_PDFS[kind]
    path = make(tmp_path / f"{kind}.pdf")
    with pytest.raises(IngestError) as caught:
        read_pdf_lines(path)
    assert str(path) in str(caught.value) and reason in str(caught.value)


def test_missing_pdf_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="not found"):
        read_pdf_lines(tmp_path / "nergens.pdf")


@pytest.mark.parametrize("kind", ["corrupt", "encrypted", "image-only", "empty"])
def test_cli_rejects_bad_pdf_without_output(tmp_path: Path, kind: str) -> None:
    """A good PDF first, then the bad one: exit 2, one line, and nothing written."""
    make, reason = BAD_PDFS[kind]
    good = _small_pdf(tmp_path / "good.pdf", header="Kop", footer=lambda i: str(i + 1))
    path = make(tmp_path / f"{kind}.pdf")
    out = tmp_path / "out"
    command = ["ingest", str(good), str(path), "--out", str(out)]
    result = subprocess.run(
        [sys.executable, "-c", "from cli import main; main()", *command],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and path.name in lines[0] and reason in lines[0]
    assert not out.exists() or not any(out.iterdir())
