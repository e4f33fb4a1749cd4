"""Which of the scored sentences make the answer: ranking for the question, then selection.

The candidate sentences (service/evidence.py scores) are ranked by their evidence score,
their cosine with the question (scaled over the question's candidates) and a bonus for
sentences that hold what the question asks for (a reason, a count, a date, a name:
service/coverage.py); a question that asks for the report's conclusions also draws on the
chapters' conclusions sections, with signposts demoted. Then distinct sentences that can
stand as an answer (no questions, no bare source references) are selected, the lead
completed by its neighbour and any sentence by the one it announces, in reading order: the
base number (4), one more when further candidates score close to the lead
(`sentence_budget`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from ingest.models import Passage
from service.coverage import satisfies
from service.evidence import ScoredSentence
from service.question import AnswerType, Constraints

# Finds the sentence after one that ends its passage (the next passage's first sentence).
Follow = Callable[[ScoredSentence], ScoredSentence | None]


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Generic Dutch/English openers of a bare source reference ("Interview medewerker ...",
# "Intern document ...", "Zie ...", "Website ..."): bibliographic vocabulary, not the report's.
_SOURCE_OPENERS = _word_set(
    "interview interviews intern interne document documenten zie bron bronnen website "
    "see source sources"
)
# A citation in the usual formats: "Auteur (2017), Titel", "(6 oktober 2020),", "p. 43",
# "nr. 699", a URL.
_BIBLIOGRAPHIC = re.compile(
    r"\(\s*(?:\d{1,2}\s+[^\W\d_]+\s+)?\d{4}\s*\)\s*,|\bp\.\s*\d+|\bnr\.\s*\d+|https?://|www\.",
    re.IGNORECASE,
)
SOURCE_REFERENCE_CHARS = 90  # a sentence opening with a source word is a reference when this short
# Why-questions and the generic connectives and nouns that give a reason.
_WHY_WORDS = _word_set("waarom hoezo why")
_REASON_WORDS = _word_set(
    "omdat doordat vanwege daardoor hierdoor waardoor dankzij oorzaak reden redenen "
    "because due since therefore reason reasons cause caused"
)
# Ranking score = the evidence score (service/evidence.py: 0.2 / passage rank + 0.5 x the
# passage's lexical coverage) + SIMILARITY_WEIGHT x the sentence's cosine with the question,
# min-max scaled over the question's candidates (`relative_similarity`) + ANSWER_TYPE_BONUS
# when the sentence holds what the question asks for: a reason for a why-question, a count,
# amount, date or name for a typed question (service/coverage.py). Evidence-in-answer on the
# 142 answerable gold questions (e5 index) over similarity {0, .05, .1, .2, .25, .5, .75, 1}
# x bonus {0, .1, .15, .2, .3, .5} is flat at 0.775-0.796 for similarity .05-.25 and bonus
# .1-.3 (0.732 with neither); these values are its middle. 5-fold CV of picking both on
# 4 folds (seed 0): 0.775 held out (bench/answer_ablation.py).
ANSWER_TYPE_BONUS = 0.2
SIMILARITY_WEIGHT = 0.1
# A question that asks for the report's conclusions or a summary ("Wat concludeert ...",
# "Vat ... samen", "in het kort", "Summarise ..."): generic Dutch/English words. Such an
# answer lives in a chapter's conclusions, which retrieval on the question's topic words
# rarely brings up.
_SUMMARY_CUE = re.compile(
    r"\b(?:conclu|samenvat|summar|slotbeschouw)\w*|\bvat\b.*\bsamen\b|\bin (?:het )?kort\b"
    r"|\bin (?:short|brief)\b|\b(?:belangrijkste|main|key) (?:bevindingen|findings)\b",
    re.IGNORECASE,
)
_CHAPTER_REFERENCE = re.compile(r"\b(?:hoofdstuk|chapter)\s+(\d+)\b", re.IGNORECASE)
_CONCLUSION_TITLE = re.compile(r"^\s*(?:conclusie|conclusion)", re.IGNORECASE)
# A sentence about the document's own structure ("Dit hoofdstuk gaat in op ... (paragraaf
# 3.1)", "Het rapport sluit in hoofdstuk 8 af"): a signpost, not a conclusion.
_SIGNPOST = re.compile(
    r"\b(?:hoofdstuk(?:ken)?|paragra(?:af|fen)|chapters?|sections?)\s+\d"
    r"|\b(?:dit|deze|this)\s+(?:hoofdstuk|paragraaf|chapter|section)\b",
    re.IGNORECASE,
)
# A summary question adds the conclusions of the chapters it names or its top hits come
# from (scored as if retrieved first) and demotes signposts by SIGNPOST_PENALTY; both earn
# their place in bench/answer_ablation.py (gold, 5-fold CV). A bonus for those conclusions
# and the report's recommendations as candidates for a recommendation question made no
# difference with e5 on gold or either probe, and went.
# An answer takes a base number of sentences (Settings.answer_max_sentences, 5, less
# EXTRA_SENTENCES) and up to EXTRA_SENTENCES more while further candidates rank within
# CLOSE_SCORE of the lead (`sentence_budget`): measured in bench/answer_ablation.py
# against a fixed count.
EXTRA_SENTENCES = 1
CLOSE_SCORE = 0.2
SUMMARY_CHAPTER_HITS = 3  # the chapters of this many top hits are summarised
SIGNPOST_PENALTY = 0.3
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def is_source_reference(sentence: str) -> bool:
    """A sentence that only names a source: a citation ("Reuters (6 oktober 2020), ...",
    "p. 43") or a short one opening with a source word ("Interview medewerker ...")."""
    if _BIBLIOGRAPHIC.search(sentence):
        return True
    first = next(iter(_WORD.findall(sentence)), "").lower()
    return len(sentence) < SOURCE_REFERENCE_CHARS and first in _SOURCE_OPENERS


def can_answer(sentence: str) -> bool:
    """Whether a sentence may stand in an answer: not a heading or list stub, not a question
    of the report ("Wat ging er goed?"), not a bare source reference."""
    text = sentence.strip()
    return not text.endswith("?") and not is_source_reference(text)


def asks_why(question: str) -> bool:
    """Does the question ask for a reason ("waarom", "why")?"""
    return any(w.lower() in _WHY_WORDS for w in _WORD.findall(question))


def gives_reason(sentence: str) -> bool:
    """Does the sentence state a reason ("omdat", "doordat", "because", ...)?"""
    return any(w.lower() in _REASON_WORDS for w in _WORD.findall(sentence))


def asks_summary(question: str) -> bool:
    """Does the question ask for the report's conclusions or a summary?"""
    return bool(_SUMMARY_CUE.search(question))


def chapters_named(question: str) -> set[str]:
    """The chapter numbers the question names ("hoofdstuk 3", "chapter 7")."""
    return set(_CHAPTER_REFERENCE.findall(question))


def is_conclusion(passage: Passage) -> bool:
    """A passage of a chapter's conclusions section ("Conclusies", "Conclusions")."""
    return bool(_CONCLUSION_TITLE.match(passage.section_title))


def is_signpost(sentence: str) -> bool:
    """A sentence about the document's structure ("Dit hoofdstuk gaat in op ...")."""
    return bool(_SIGNPOST.search(sentence))


def demote_signposts(scored: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """The sentences with SIGNPOST_PENALTY taken off the score of each signpost."""
    return [
        replace(s, score=s.score - SIGNPOST_PENALTY) if is_signpost(s.sentence.text) else s
        for s in scored
    ]


def rank_for_question(
    question: str,
    scored: Sequence[ScoredSentence],
    *,
    constraints: Constraints,
) -> list[ScoredSentence]:
    """The sentences best first: each score plus SIMILARITY_WEIGHT x its cosine with the
    question min-max normalised over these candidates (`relative_similarity`), plus
    ANSWER_TYPE_BONUS for a sentence that holds what the question asks for: a reason for a
    why-question; a value of the expected type (count, amount, date, name) meeting the
    question's constraints for a typed question."""
    why = asks_why(question)

    def fits(s: ScoredSentence) -> bool:
        if why:
            return gives_reason(s.sentence.text)
        if constraints.answer_type is AnswerType.ANY:
            return False
        return satisfies(s.sentence.text, set(s.terms), s.passage.text, constraints)

    similarity = relative_similarity(scored)
    ranked = [
        replace(s, score=s.score + SIMILARITY_WEIGHT * sim + ANSWER_TYPE_BONUS * fits(s))
        for s, sim in zip(scored, similarity, strict=True)
    ]
    ranked.sort(key=lambda s: s.score, reverse=True)
    return ranked


def relative_similarity(scored: Sequence[ScoredSentence]) -> list[float]:
    """Each sentence's cosine with the query, min-max scaled over `scored` to 0..1.

    e5's cosines sit in a narrow band (~0.75-0.92), so the raw value barely separates
    sentences; scaled within the question's candidates, the closest counts 1 and the
    farthest 0.
    """
    if not scored:
        return []
    dense = np.array([s.dense for s in scored])
    low, span = float(dense.min()), float(dense.max() - dense.min())
    return ((dense - low) / span).tolist() if span > 0 else [0.0] * len(scored)


def sentence_budget(ranked: Sequence[ScoredSentence], *, base: int) -> int:
    """How many sentences the answer takes: `base`, plus up to EXTRA_SENTENCES more when that
    many candidates beyond `base` rank within CLOSE_SCORE of the best one.

    When several candidates are nearly as good as the lead the question has no single
    answering spot (a list, reasons spread over passages) and the answer draws on more of
    them; a dominant lead keeps the answer at `base`.
    """
    if not ranked:
        return base
    lead = ranked[0].score
    close = sum(s.score >= lead - CLOSE_SCORE for s in ranked)
    return min(max(close, base), base + EXTRA_SENTENCES)


def select_sentences(
    scored: Sequence[ScoredSentence], *, max_sentences: int, follow: Follow | None = None
) -> list[ScoredSentence]:
    """Up to `max_sentences` sentences, best first.

    Sentences that cannot answer (`can_answer`) are skipped. The lead sentence brings its
    neighbour (the one after, or before at the end of its passage: the best sentence often
    restates the question and the next one answers it); a sentence
    that announces what follows ("De redenen zijn:") brings the next sentence, from the
    next passage when it ends its own (`follow` finds that one); a completing sentence
    that cannot answer is left out too. Evidence-in-answer on the 142 answerable gold
    questions, same retrieval and no answer-type bonus: 0.634 with the previous rule (best
    sentence of each of three passages, the lead with its neighbour), 0.662 with this one.
    A cap of 3 passages x 2 sentences each cost evidence with e5 (bench/answer_ablation.py).
    """
    by_position = {(s.passage.passage_id, s.position): s for s in scored}

    def next_of(s: ScoredSentence) -> ScoredSentence | None:
        after = by_position.get((s.passage.passage_id, s.position + 1))
        return after if after is not None or follow is None else follow(s)

    chosen: list[ScoredSentence] = []
    for s in scored:
        if len(chosen) >= max_sentences:
            break
        if not can_answer(s.sentence.text):
            continue
        if _add(s, chosen, max_sentences=max_sentences):
            lead = len(chosen) == 1
            for extra in _completion(s, lead=lead, by_position=by_position, next_of=next_of):
                if can_answer(extra.sentence.text):
                    _add(extra, chosen, max_sentences=max_sentences)
    return _reading_order(chosen)


def _completion(
    s: ScoredSentence,
    *,
    lead: bool,
    by_position: dict[tuple[str, int], ScoredSentence],
    next_of: Follow,
) -> list[ScoredSentence]:
    """What `s` needs to be read: the sentence it announces; for the lead sentence, its
    neighbour (and the sentence that neighbour announces)."""
    if announces(s.sentence.text):
        announced = next_of(s)
        return [announced] if announced is not None else []
    if not lead:
        return []
    group = _neighbours(s, by_position)
    last = group[-1] if group else None
    if last is not None and last.position > s.position and announces(last.sentence.text):
        announced = next_of(last)
        group += [announced] if announced is not None else []
    return group


def announces(sentence: str) -> bool:
    """A sentence ending in a colon introduces what follows (a list, the reasons)."""
    return sentence.rstrip().endswith(":")


def _add(s: ScoredSentence, chosen: list[ScoredSentence], *, max_sentences: int) -> bool:
    """Append `s` unless the answer is full or `s` is already chosen."""
    if len(chosen) >= max_sentences or any(_same(s, o) for o in chosen):
        return False
    chosen.append(s)
    return True


def _neighbours(
    top: ScoredSentence, by_position: dict[tuple[str, int], ScoredSentence]
) -> list[ScoredSentence]:
    """The sentence that completes `top`: the next one (the previous one at the end of a
    passage)."""
    pid, pos = top.passage.passage_id, top.position
    before, after = by_position.get((pid, pos - 1)), by_position.get((pid, pos + 1))
    if after is not None:
        return [after]
    return [before] if before is not None else []


def _same(a: ScoredSentence, b: ScoredSentence) -> bool:
    """The same sentence of the same passage (a completion may bring a chosen one again).
    A filter on shared terms (Jaccard >= 0.6) changed no answer on the tuning questions or
    the old probes and went (bench/answer_ablation.py)."""
    return a.passage.passage_id == b.passage.passage_id and a.sentence.start == b.sentence.start


def _reading_order(chosen: list[ScoredSentence]) -> list[ScoredSentence]:
    """Passages in order of their best sentence; sentences of one passage in text order."""
    passage_rank: dict[str, int] = {}
    for i, s in enumerate(chosen):
        passage_rank.setdefault(s.passage.passage_id, i)
    return sorted(chosen, key=lambda s: (passage_rank[s.passage.passage_id], s.position))
