"""Optional generative answers through any OpenAI-compatible chat endpoint (LangChain).

The model sees the retrieved passages numbered [1]..[k] and must end every sentence with
the marker(s) of the passage(s) it rests on. Each output sentence is then checked: it must
cite a retrieved passage and share most of its content terms with the cited passages;
other sentences are removed. The caller falls back to the extractive answer when the
endpoint is not configured, fails, or nothing survives the check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from index.models import Hit
from ingest.models import Passage
from ingest.sentences import split_sentence_spans
from service.evidence import EvidenceScorer
from service.settings import Settings

SUPPORT_MIN = 0.6  # share of a sentence's content terms that its cited passages must contain
MAX_HISTORY_TURNS = 3
_MARKER = re.compile(r"\[(\d{1,2})\]")
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d{1,2}\])+)")

SYSTEM_PROMPT = (
    "You answer questions about the IOB evaluation report of the Dutch contribution to "
    "MINUSMA (2014-2019) using ONLY the numbered passages given. Answer in {language}, in at "
    "most four short sentences. End EVERY sentence with the marker(s) of the passage(s) that "
    "support it, like [1] or [2][3], placed before the final period. Do not add facts that "
    "are not in the passages. If the passages do not answer the question, say so in one "
    "sentence without a marker."
)
LANGUAGE_NAMES = {"nl": "Dutch", "en": "English"}
NOT_CONFIGURED = (
    "generative mode is not configured (set MINUSMA_LLM_BASE_URL and MINUSMA_LLM_MODEL); "
    "answered extractively"
)


@dataclass(frozen=True, slots=True)
class Generated:
    """The checked output: (display text, passage, verbatim quote) per kept sentence."""

    sentences: list[tuple[str, Passage, str]]
    removed: int


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """A ChatOpenAI client for the configured endpoint, or None when none is configured."""
    if not (settings.llm_base_url and settings.llm_model):
        return None
    from langchain_openai import ChatOpenAI

    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=key,  # type: ignore[arg-type]
        timeout=settings.llm_timeout_s,
        max_retries=1,
        temperature=settings.llm_temperature,
    )


def build_messages(
    question: str, hits: Sequence[Hit], *, language: str, history: Sequence[tuple[str, str]] = ()
) -> list[BaseMessage]:
    """System prompt, the last turns of the conversation, then the passages and the question."""
    messages: list[BaseMessage] = [
        SystemMessage(SYSTEM_PROMPT.format(language=LANGUAGE_NAMES.get(language, "Dutch")))
    ]
    for asked, answered in history[-MAX_HISTORY_TURNS:]:
        messages += [HumanMessage(asked), AIMessage(answered)]
    context = "\n\n".join(
        f"[{i}] (§{hit.passage.section}) {' '.join(hit.passage.text.split())}"
        for i, hit in enumerate(hits, start=1)
    )
    messages.append(HumanMessage(f"Passages:\n{context}\n\nQuestion: {question}"))
    return messages


def generate(
    chat_model: BaseChatModel,
    question: str,
    hits: Sequence[Hit],
    scorer: EvidenceScorer,
    *,
    language: str,
    history: Sequence[tuple[str, str]] = (),
) -> Generated:
    """Ask the model and keep only its cited, supported sentences (exceptions propagate)."""
    reply = chat_model.invoke(build_messages(question, hits, language=language, history=history))
    text = reply.content if isinstance(reply.content, str) else str(reply.content)
    return check_output(text, hits, scorer)


def check_output(text: str, hits: Sequence[Hit], scorer: EvidenceScorer) -> Generated:
    """Split the model's text into sentences and keep those that cite and are supported."""
    kept: list[tuple[str, Passage, str]] = []
    removed = 0
    for span in split_sentence_spans(_MARKERS_AFTER_STOP.sub(r"\2\1", text)):
        numbers = [int(n) for n in _MARKER.findall(span.text)]
        cited = [hits[n - 1].passage for n in numbers if 1 <= n <= len(hits)]
        display = " ".join(_MARKER.sub("", span.text).split()).replace(" .", ".")
        if not cited or support(display, cited, scorer) < SUPPORT_MIN:
            removed += 1
            continue
        passage, quote = best_quote(display, cited, scorer)
        kept.append((display, passage, quote))
    return Generated(kept, removed)


def support(sentence: str, passages: Sequence[Passage], scorer: EvidenceScorer) -> float:
    """Share of the sentence's content terms found in the cited passages (0 when it has none)."""
    terms = scorer.text_terms(sentence)
    if not terms:
        return 0.0
    available: set[str] = set()
    for passage in passages:
        available |= scorer.passage_terms(passage.passage_id)
    return len(terms & available) / len(terms)


def best_quote(
    sentence: str, passages: Sequence[Passage], scorer: EvidenceScorer
) -> tuple[Passage, str]:
    """The cited passage sentence that shares the most terms with a generated sentence."""
    terms = scorer.text_terms(sentence)
    best: tuple[float, Passage, str] | None = None
    for passage in passages:
        spans = scorer.index.sentences(passage.passage_id)
        for span, span_terms in zip(spans, scorer.sentence_terms(passage.passage_id), strict=True):
            overlap = len(terms & span_terms) / (len(terms | span_terms) or 1)
            if best is None or overlap > best[0]:
                best = (overlap, passage, span.text)
    if best is None:
        return passages[0], passages[0].text
    return best[1], best[2]
