"""The typed records that flow from ingest through index, service and eval."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any


class PassageKind(StrEnum):
    """What part of the report a passage is."""

    BODY = "body"
    FOOTNOTE = "footnote"
    FINDING = "finding"
    RECOMMENDATION = "recommendation"
    BOX = "box"
    CAPTION = "caption"
    TABLE = "table"


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One physical line of a source, before structure is recognised.

    The text reader fills only `text`; the PDF reader adds the page label and the
    typographic hints it reads from the page (font size, bold, footnote zone).
    """

    text: str
    page: str | None = None
    font_size: float | None = None
    bold: bool = False
    footnote_zone: bool = False


@dataclass(frozen=True, slots=True)
class Passage:
    """One citable passage of the report: the only thing later stages consume.

    `passage_id` is derived from the passage's place (`4.3.4-p3`, `4.3.4-fn-vi`) so it
    is stable across re-ingests of the same source. `paragraph` is 1-based within
    the section; `page` is the printed page label, or None when the source has no pages.
    """

    passage_id: str
    text: str
    chapter: str
    section: str
    section_title: str
    paragraph: int
    page: str | None
    kind: PassageKind
    source: str
    source_sha256: str
    chapter_title: str = ""
    label: str | None = None  # footnote label ("vi") or finding number ("1.3")
    note_refs: tuple[str, ...] = field(default_factory=tuple)  # endnote marks removed

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (kind as its string value, tuples as lists)."""
        data = asdict(self)
        data["kind"] = self.kind.value
        data["note_refs"] = list(self.note_refs)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        """Inverse of `to_dict`; unknown keys are ignored so old files still load."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["kind"] = PassageKind(values["kind"])
        values["note_refs"] = tuple(values.get("note_refs") or ())
        return cls(**values)


@dataclass(frozen=True, slots=True)
class IngestConfig:
    """What the ingest is run with: the tokenizer that sizes passages, their budget, and
    where it keeps its results (`ingest/cache.py`; None: nothing is cached)."""

    tokenizer: Path  # a tokenizer.json; the command line passes the packaged model's
    max_passage_tokens: int = 200  # word pieces per passage
    cache_dir: Path | None = None
