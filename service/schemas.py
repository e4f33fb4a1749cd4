"""Pydantic request and response models of the HTTP API: the field names are a contract."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_TOP_K = 50
# Hard ceilings for the schema; the configurable limit (settings.max_question_chars) is
# checked in the route so that it can be changed without touching the OpenAPI document.
MAX_TEXT_CHARS = 20_000
MAX_HISTORY_TURNS = 10
_ALLOWED_CONTROLS = frozenset("\t\n\r")

EXAMPLE_QUESTION = "Waarom sloten de inlichtingenproducten van ASIFU slecht aan bij de behoeften?"
EXAMPLE_CITATION = (
    'IOB (2022), Evaluatie van de Nederlandse bijdrage aan MINUSMA 2014-2019, §4.3.4 "Kwaliteit '
    'inzet en middelen…", alinea 3, p. 96'
)


def reject_control_characters(value: str) -> str:
    """Refuse text with control characters other than tab and line breaks."""
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in value):
        raise ValueError("text contains control characters; remove them and try again")
    return value


def require_text(value: str) -> str:
    """Refuse empty or whitespace-only text."""
    if not value.strip():
        raise ValueError("text is empty; type a question or claim")
    return value


BoundedText = Annotated[
    str, StringConstraints(max_length=MAX_TEXT_CHARS), AfterValidator(reject_control_characters)
]
UserText = Annotated[BoundedText, AfterValidator(require_text)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Turn(_Request):
    """One earlier question/answer exchange of a conversation."""

    question: BoundedText
    answer: BoundedText = ""


class AskRequest(_Request):
    """A question about the report."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": EXAMPLE_QUESTION, "top_k": 5},
                {
                    "question": "En waarom?",
                    "history": [{"question": "Was de inzet van ASIFU nuttig?", "answer": "..."}],
                },
            ]
        },
    )

    question: UserText = Field(description="The question, in Dutch or English.")
    top_k: int = Field(default=5, strict=True, ge=1, le=MAX_TOP_K, description="Passages to list.")
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)
    mode: Literal["extractive", "generative"] = "extractive"


class SearchRequest(_Request):
    """A retrieval query."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"query": "helikopters Gao", "top_k": 10}]}
    )

    query: UserText
    top_k: int = Field(default=10, strict=True, ge=1, le=MAX_TOP_K)


class CiteRequest(_Request):
    """A claim or a quote from a briefing to look up in the report."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "claim": "ASIFU paste zijn werkwijze echter relatief laat en in "
                    "beperkte mate aan."
                }
            ]
        },
    )

    claim: UserText
    top_k: int = Field(default=3, strict=True, ge=1, le=MAX_TOP_K)


class CiteBatchRequest(_Request):
    """A briefing paragraph: each sentence is looked up as a claim."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "De Nederlandse bijdrage was hoogwaardig. De militaire doelstellingen "
                    "waren te ambitieus."
                }
            ]
        },
    )

    text: UserText
    top_k: int = Field(default=3, strict=True, ge=1, le=MAX_TOP_K)


class Citation(BaseModel):
    """The `[n]` reference of an answer: a verbatim quote and where it is in the report."""

    n: int
    passage_id: str
    quote: str
    section: str
    section_title: str
    page: str | None
    paragraph: int
    citation: str = Field(examples=[EXAMPLE_CITATION])


class PassageHit(BaseModel):
    """A retrieved passage with its score."""

    passage_id: str
    text: str
    section: str
    section_title: str
    page: str | None
    paragraph: int
    kind: str
    score: float
    chapter: str = ""
    label: str | None = None
    citation: str = ""


class AskResponse(BaseModel):
    """A cited answer, or an abstention (`grounded: false`) with the closest passages."""

    answer: str
    grounded: bool
    citations: list[Citation]
    passages: list[PassageHit]
    timings_ms: dict[str, float]
    mode: Literal["extractive", "generative"] = "extractive"
    language: Literal["nl", "en"] = "nl"
    confidence: float = 0.0
    notice: str | None = None


class SearchResponse(BaseModel):
    """Passages ranked by hybrid retrieval."""

    results: list[PassageHit]


class CiteMatch(BaseModel):
    """A passage that (partly) supports a claim, with the best-matching sentence(s) as quote."""

    passage_id: str
    quote: str
    text: str
    section: str
    section_title: str
    page: str | None
    paragraph: int
    score: float
    citation: str = Field(examples=[EXAMPLE_CITATION])


class CiteResponse(BaseModel):
    """The verdict on one claim and the passages behind it."""

    claim: str = ""
    verdict: Literal["supported", "partial", "not_found"]
    matches: list[CiteMatch]
    # for a partial verdict found clause by clause: the clauses the report supports, and not
    supported_parts: list[str] = Field(default_factory=list)
    unsupported_parts: list[str] = Field(default_factory=list)


class CiteBatchResponse(BaseModel):
    """One cite result per claim of the submitted text."""

    results: list[CiteResponse]


class PassageDetail(BaseModel):
    """A passage with its neighbours in document order."""

    passage_id: str
    text: str
    chapter: str
    chapter_title: str
    section: str
    section_title: str
    paragraph: int
    page: str | None
    kind: str
    label: str | None
    citation: str
    prev_id: str | None
    next_id: str | None


class SectionEntry(BaseModel):
    """One section of the table of contents."""

    section: str
    title: str
    passage_ids: list[str]


class ChapterEntry(BaseModel):
    """One chapter of the table of contents."""

    chapter: str
    title: str
    sections: list[SectionEntry]


class SectionsResponse(BaseModel):
    """The table of contents in document order."""

    chapters: list[ChapterEntry]


class Recommendation(BaseModel):
    """A recommendation passage attached to a finding."""

    passage_id: str
    text: str


class Finding(BaseModel):
    """One numbered finding of chapter 8 with its recommendations."""

    label: str
    text: str
    section: str
    section_title: str
    page: str | None
    passage_ids: list[str]
    recommendations: list[Recommendation]
    citation: str


class FindingsResponse(BaseModel):
    """Chapter 8's findings in report order."""

    findings: list[Finding]


class GlossaryEntry(BaseModel):
    """An acronym and its expansion as the report gives it."""

    acronym: str
    expansion: str


class GlossaryResponse(BaseModel):
    """The report's acronyms, sorted."""

    entries: list[GlossaryEntry]


class HealthResponse(BaseModel):
    """Liveness and what the service is serving."""

    status: Literal["ok"]
    passages: int
    embedding_model: str
    index_built_at: str


class ErrorResponse(BaseModel):
    """Every error: a message that says what to change."""

    detail: str | list[dict[str, object]]
