"""The extractive answerer: the report's own sentences that best answer a question, cited.

Retrieval (hybrid search) picks candidate passages; their precomputed sentences are scored
against the query's analysed terms (service/evidence.py) and the one query embedding. The
confidence is how well the best of them holds what the question asks for (service/question.py,
service/coverage.py); below a calibrated threshold the answerer abstains, in the question's
language, and still lists the closest passages. Otherwise the sentences ranked and selected
for the question (service/selection.py) become the answer, each followed by `[n]`; every
quote is checked to be verbatim in its passage before it is returned.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
from langchain_core.language_models import BaseChatModel

from index.models import Hit
from ingest.models import Passage
from service import coverage
from service.cite import is_verbatim
from service.evidence import DENSE_WEIGHT, Z_SPAN, EvidenceScorer, QueryTerms, ScoredSentence
from service.generative import NOT_CONFIGURED, generate
from service.question import Constraints, constraints_of
from service.selection import (
    EXTRA_SENTENCES,
    SUMMARY_CHAPTER_HITS,
    asks_summary,
    chapters_named,
    demote_signposts,
    is_conclusion,
    rank_for_question,
    select_sentences,
    sentence_budget,
)

if TYPE_CHECKING:
    from index.hybrid import HybridIndex

logger = logging.getLogger("minusma_qa.answer")
Language = Literal["nl", "en"]
Mode = Literal["extractive", "generative"]


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Generic function words for telling Dutch from English (not words of the report).
_NL_WORDS = _word_set(
    "de het een en van in is op te dat die voor met zijn er niet aan ook als bij wat hoe "
    "waarom wie welke wanneer waar werd wordt was waren heeft hebben naar door over om nog "
    "maar dan deze dit kan"
)
_EN_WORDS = _word_set(
    "the a an and of in is on to that which for with are there not at also as by what how "
    "why who when where was were has have into about from this these can did does do"
)
# Words that make a question lean on the previous turn ("en waarom?", "wat was de oorzaak
# daarvan?"): generic Dutch/English anaphora and connectives.
_ANAPHORA = _word_set(
    "daarvan daarvoor daardoor daarbij daarmee daarna daarom daaraan daarover dat dit deze "
    "die hij zij ze zijn hun het hem haar toen en of ook waarom hoezo it its that this "
    "these those they them their he she his her why and also then"
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Passages whose sentences may support an answer (service/coverage.py `support`): the
# confidence is the best of their sentences that meets the question's constraints.
SUPPORT_DEPTH = 10
FOLLOW_UP_MAX_TERMS = 3  # a question with this few content terms may be a follow-up

ABSTAIN_MESSAGE: dict[Language, str] = {
    "nl": "Het rapport geeft geen antwoord op deze vraag. "
    "Hieronder staan de passages die er het dichtst bij komen.",
    # English questions are matched against the Dutch text less reliably (README: on 40
    # English renderings of answerable gold questions 27 abstain), so the message does
    # not claim the report lacks the answer and points to asking in Dutch.
    "en": "I found no passage of the report that clearly answers this question. The report "
    "is in Dutch and English questions are matched less reliably: the passages below are the "
    "closest it comes, or try asking in Dutch.",
}


@dataclass(frozen=True, slots=True)
class AnswerCitation:
    """Citation `[n]`: a verbatim quote from a passage."""

    n: int
    passage: Passage
    quote: str


@dataclass(frozen=True, slots=True)
class Answer:
    """What the answerer returns, whatever the mode."""

    answer: str
    grounded: bool
    citations: list[AnswerCitation]
    hits: list[Hit]
    language: Language
    confidence: float
    mode: Mode = "extractive"
    notice: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Retrieval:
    """The evidence gathered for a question, shared by the extractive and generative paths."""

    query: str
    hits: list[Hit]
    vector: np.ndarray
    terms: QueryTerms
    scored: list[ScoredSentence]
    confidence: float
    constraints: Constraints  # what the question asks for (service/question.py)


def detect_language(text: str) -> Language:
    """'en' when the text has more English than Dutch function words, else 'nl'."""
    words = [w.lower() for w in _WORD.findall(text)]
    english = sum(w in _EN_WORDS for w in words)
    dutch = sum(w in _NL_WORDS for w in words)
    return "en" if english > dutch else "nl"


def is_follow_up(question: str, *, content_terms: int) -> bool:
    """A short question, or one that refers back ("daarvan", "why"), leans on the last turn."""
    words = [w.lower() for w in _WORD.findall(question)]
    if content_terms <= FOLLOW_UP_MAX_TERMS and len(words) <= 6:
        return True
    return bool(words) and (words[0] in {"en", "and", "maar", "but"} or words[-1] in _ANAPHORA)


def retrieval_query(question: str, history: Sequence[str], *, content_terms: int) -> str:
    """The text to retrieve with: the question, prefixed by the previous one for a follow-up."""
    if history and is_follow_up(question, content_terms=content_terms):
        return f"{history[-1]} {question}"
    return question


def sentence_confidence(scored: ScoredSentence, *, mean: float, spread: float) -> float:
    """How well one sentence matches the query, without the retrieval-rank bonus: its
    similarity (the cosine in spreads above the query's mean cosine with the report's
    sentences, `mean` and `spread`) and its lexical coverage."""
    similarity = min(max((scored.dense - mean) / (spread * Z_SPAN), 0.0), 1.0)
    return DENSE_WEIGHT * similarity + (1 - DENSE_WEIGHT) * scored.lexical


def merge_adjacent(chosen: Sequence[ScoredSentence]) -> list[tuple[str, Passage, str]]:
    """(display, passage, quote) items; consecutive sentences of one passage become one item
    whose quote is the passage's text from the first sentence's start to the last's end."""
    runs: list[list[ScoredSentence]] = []
    for s in chosen:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and last.passage.passage_id == s.passage.passage_id
            and s.position == last.position + 1
        ):
            runs[-1].append(s)
        else:
            runs.append([s])
    items = []
    for run in runs:
        passage = run[0].passage
        quote = passage.text[run[0].sentence.start : run[-1].sentence.end]
        items.append((quote, passage, quote))
    return items


def compose(sentences: Sequence[tuple[str, Passage, str]]) -> tuple[str, list[AnswerCitation]]:
    """Answer text with `[n]` markers and the citations, keeping only verbatim quotes.

    Each item is (display text, passage, quote); an item whose quote is not an exact
    substring of its passage's text is dropped with its sentence, never shown.
    """
    parts: list[str] = []
    citations: list[AnswerCitation] = []
    for display, passage, quote in sentences:
        if not is_verbatim(quote, passage.text):
            continue
        n = len(citations) + 1
        citations.append(AnswerCitation(n, passage, quote))
        parts.append(f"{' '.join(display.split())} [{n}]")
    return " ".join(parts), citations


class Answerer:
    """Answers questions over one loaded index; built once in the app's lifespan."""

    def __init__(
        self,
        index: HybridIndex,
        scorer: EvidenceScorer,
        *,
        abstain_threshold: float,
        max_sentences: int = 5,
        candidates: int = 5,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        self.index = index
        self.scorer = scorer
        self.abstain_threshold = abstain_threshold
        self.max_sentences = max_sentences
        self.candidates = candidates
        self.chat_model = chat_model
        self._conclusions: dict[str, list[Passage]] = {}
        for passage in index.passages:
            if is_conclusion(passage):
                self._conclusions.setdefault(passage.chapter, []).append(passage)

    def retrieve(self, question: str, *, history: Sequence[str] = (), top_k: int = 5) -> Retrieval:
        """Search, embed once, and score the candidate passages' sentences.

        The confidence is how well the report supports an answer: the best match
        (`sentence_confidence`: similarity and lexical coverage) among the sentences of the
        top SUPPORT_DEPTH passages, each weighed by how well it meets what the question asks
        for (service/coverage.py `support`: a value of the expected answer type, the verdict's
        actor, the question's names and numbers in its passage), scaled by the share of the
        question's informative words the report uses at all (a question about apple pie or
        Uruzgan leans on words it never mentions).
        """
        content_terms = len(self.scorer.query_terms(question).weights)
        query = retrieval_query(question, history, content_terms=content_terms)
        hits = self.index.search(query, k=max(top_k, self.candidates, SUPPORT_DEPTH))
        vector = self.index.embed_query(query)
        searched = self.index.translate(query)
        terms = self.scorer.query_terms(searched)
        pool = self.scorer.score_hits(hits[:SUPPORT_DEPTH], vector, terms)
        scored = [s for s in pool if s.rank <= self.candidates]
        constraints = constraints_of(
            question, scorer=self.scorer, language=detect_language(question)
        )
        means, spreads = self.scorer.cosine_scale(vector)
        mean, spread = float(means[0]), float(spreads[0])

        supported = coverage.support(
            constraints,
            pool,
            strength=lambda s: sentence_confidence(s, mean=mean, spread=spread),
            scorer=self.scorer,
        )
        # Which of the question's words the report knows: an English word counts when the
        # dictionary gives it a Dutch word of the report, whether or not search translated.
        glossed = self.index.gloss(query)
        known = terms if glossed == searched else self.scorer.query_terms(glossed)
        confidence = supported.strength * known.known_share
        return Retrieval(query, hits[:top_k], vector, terms, scored, confidence, constraints)

    def answer(
        self,
        question: str,
        *,
        top_k: int = 5,
        history: Sequence[tuple[str, str]] = (),
        mode: Mode = "extractive",
    ) -> Answer:
        """The answer in `mode`, or an abstention when the report does not cover the question.

        `history` holds earlier (question, answer) turns, oldest first.
        """
        started = time.perf_counter()
        retrieval = self.retrieve(question, history=[q for q, _ in history], top_k=top_k)
        retrieved = time.perf_counter()
        if mode == "generative" and not self.abstains(retrieval):
            answer = self.generative(question, retrieval, history=history)
        else:
            answer = self.extractive(question, retrieval)
        done = time.perf_counter()
        timings = {
            "retrieve": (retrieved - started) * 1000,
            "answer": (done - retrieved) * 1000,
            "total": (done - started) * 1000,
        }
        return replace(answer, timings_ms={k: round(v, 2) for k, v in timings.items()})

    def abstains(self, retrieval: Retrieval) -> bool:
        """True when the evidence is too weak to answer from."""
        return not retrieval.scored or retrieval.confidence < self.abstain_threshold

    def extractive(self, question: str, retrieval: Retrieval) -> Answer:
        """Answer from the retrieval's best sentences (or abstain)."""
        language = detect_language(question)
        if self.abstains(retrieval):
            return self.abstention(question, retrieval)
        chosen = self.choose(question, retrieval)
        text, citations = compose(merge_adjacent(chosen))
        if not citations:
            return self.abstention(question, retrieval)
        return Answer(text, True, citations, retrieval.hits, language, retrieval.confidence)

    def choose(self, question: str, retrieval: Retrieval) -> list[ScoredSentence]:
        """The answer's sentences: ranked for the question, then selected."""
        candidates = self.candidates_for(question, retrieval)
        ranked = rank_for_question(question, candidates, constraints=retrieval.constraints)

        def follow(s: ScoredSentence) -> ScoredSentence | None:
            return self.first_of_next_passage(s, retrieval)

        # at most max_sentences: one fewer unless further candidates score close to the lead
        base = max(1, self.max_sentences - EXTRA_SENTENCES)
        budget = min(self.max_sentences, sentence_budget(ranked, base=base))
        return select_sentences(ranked, max_sentences=budget, follow=follow)

    def candidates_for(self, question: str, retrieval: Retrieval) -> list[ScoredSentence]:
        """The sentences the answer is chosen from: the retrieved passages' and, for a
        question that asks for conclusions (`asks_summary`), those of the conclusions
        sections of the chapters it names, else of the chapters of its top
        SUMMARY_CHAPTER_HITS hits, scored as if retrieved first, with signposts demoted.
        The retrieval's confidence (and so abstention) does not change.
        """
        if not asks_summary(question):
            return list(retrieval.scored)
        seen = {s.passage.passage_id for s in retrieval.scored}
        added = [
            s
            for passage in self.conclusions_for(question, retrieval)
            if passage.passage_id not in seen
            for s in self.scorer.score_passage(passage, 1, retrieval.vector, retrieval.terms)
        ]
        return demote_signposts([*retrieval.scored, *added])

    def conclusions_for(self, question: str, retrieval: Retrieval) -> list[Passage]:
        """The conclusions passages of the chapters the question names, else of the chapters
        of its top SUMMARY_CHAPTER_HITS hits."""
        chapters = chapters_named(question) or {
            s.passage.chapter for s in retrieval.scored if s.rank <= SUMMARY_CHAPTER_HITS
        }
        return [p for c in sorted(chapters) for p in self._conclusions.get(c, [])]

    def first_of_next_passage(
        self, scored: ScoredSentence, retrieval: Retrieval
    ) -> ScoredSentence | None:
        """The first sentence of the passage after `scored`'s, scored for the retrieval."""
        _, next_id = self.index.neighbours(scored.passage.passage_id)
        passage = self.index.passage(next_id) if next_id is not None else None
        if passage is None:
            return None
        sentences = self.scorer.score_passage(
            passage, scored.rank, retrieval.vector, retrieval.terms
        )
        return sentences[0] if sentences else None

    def generative(
        self, question: str, retrieval: Retrieval, *, history: Sequence[tuple[str, str]] = ()
    ) -> Answer:
        """Answer through the chat model; fall back to extractive, saying why, when it fails."""
        if self.chat_model is None:
            return replace(self.extractive(question, retrieval), notice=NOT_CONFIGURED)
        language = detect_language(question)
        try:
            generated = generate(
                self.chat_model,
                question,
                retrieval.hits,
                self.scorer,
                language=language,
                history=history,
            )
        except Exception as exc:  # any failure of the external endpoint
            logger.warning("generative endpoint failed: %s", exc, exc_info=exc)
            failed = f"generative endpoint failed ({type(exc).__name__}); answered extractively"
            return replace(self.extractive(question, retrieval), notice=failed)
        text, citations = compose(generated.sentences)
        if not citations:
            unsupported = "no generated sentence was supported by the report; answered extractively"
            return replace(self.extractive(question, retrieval), notice=unsupported)
        notice = (
            f"{generated.removed} unsupported sentence(s) removed from the generated answer"
            if generated.removed
            else None
        )
        return Answer(
            text,
            True,
            citations,
            retrieval.hits,
            language,
            retrieval.confidence,
            mode="generative",
            notice=notice,
        )

    def abstention(
        self, question: str, retrieval: Retrieval, *, notice: str | None = None
    ) -> Answer:
        """grounded=false, no citations, the closest passages still listed."""
        language = detect_language(question)
        return Answer(
            ABSTAIN_MESSAGE[language],
            False,
            [],
            retrieval.hits,
            language,
            retrieval.confidence,
            notice=notice,
        )
