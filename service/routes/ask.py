"""POST /api/ask and its Server-Sent-Events twin /api/ask/stream."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import StreamingResponse

from service.deps import AnswererDep, SettingsDep
from service.routes.views import answer_view
from service.schemas import AskRequest, AskResponse, ErrorResponse
from service.settings import Settings

router = APIRouter(tags=["answers"])
question_logger = logging.getLogger("minusma_qa.questions")

# One Server-Sent Event as clients parse it: `delta` carries answer text, `final` the JSON.
SSE_EVENT_SCHEMA = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["delta", "final"]},
        "data": {"type": "string"},
    },
}
ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorResponse, "description": "Body is not valid JSON or not UTF-8"},
    401: {"model": ErrorResponse, "description": "API key required and missing or wrong"},
    413: {"model": ErrorResponse, "description": "Request body too large"},
    422: {"model": ErrorResponse, "description": "Invalid request (message says what to change)"},
}
_PIECE_END = re.compile(r"(?<=\])\s+(?=\S)|(?<=[.!?])\s+(?=[A-Z\"'‘“(])")


def _answer(request: AskRequest, answerer: AnswererDep, settings: Settings) -> AskResponse:
    if len(request.question) > settings.max_question_chars:
        raise HTTPException(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"question is longer than {settings.max_question_chars} characters; shorten it",
        )
    answer = answerer.answer(
        request.question,
        top_k=request.top_k,
        history=[(turn.question, turn.answer) for turn in request.history],
        mode=request.mode,
    )
    if settings.log_questions:
        question_logger.info(
            json.dumps({"question": request.question, "grounded": answer.grounded})
        )
    return answer_view(answer)


@router.post("/ask", responses=ERRORS)
def ask(request: AskRequest, answerer: AnswererDep, settings: SettingsDep) -> AskResponse:
    """Answer a question with sentences of the report, each cited `[n]`, or abstain."""
    return _answer(request, answerer, settings)


@router.post(
    "/ask/stream",
    response_class=StreamingResponse,
    responses={
        **ERRORS,
        200: {
            "description": "`event: delta` (answer text pieces) then one `event: final` (the "
            "full AskResponse as JSON)",
            "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
        },
    },
)
def ask_stream(
    request: AskRequest, answerer: AnswererDep, settings: SettingsDep
) -> StreamingResponse:
    """The same answer as Server-Sent Events: text pieces as produced, then the full JSON."""
    response = _answer(request, answerer, settings)
    return StreamingResponse(
        sse_events(response),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def answer_pieces(answer: str) -> list[str]:
    """The answer cut after each `[n]` marker (or sentence); joined they give the answer back."""
    parts = _PIECE_END.split(answer)
    return [parts[0], *(f" {p}" for p in parts[1:])] if answer else []


def sse_event(event: str, data: str) -> str:
    """One SSE event; multi-line data becomes several `data:` lines."""
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {event}\n{lines}\n"


def sse_events(response: AskResponse) -> Iterator[str]:
    """`delta` events with the answer text, then one `final` event with the whole response."""
    for piece in answer_pieces(response.answer):
        yield sse_event("delta", piece)
    yield sse_event("final", response.model_dump_json())
