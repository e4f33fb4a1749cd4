"""Does the report answer the question? Answer-constraint satisfaction on the candidates.

Near-miss questions use the report's words but ask for a fact it lacks: the cost in euros,
a commander's name, a number of drones, a finer date than it gives, another mission, a
verdict by an actor it never quotes. Similarity cannot tell them from answerable questions,
so the answerer's confidence is the match of the best candidate sentence weighed by its
`fit`: whether it, in its passage, holds what the question asks for (`support`; what that
is, service/question.py `constraints_of`):

- a value of the expected answer type that the question does not already contain (a count
  is a cardinal number that is not a year, a date, a chapter or table number, or - unless
  the question asks about time - a duration; a day asked within a month is a day of that
  month; a name that shares a word with the question is its subject, not its answer);
- for a verdict, the sentence names the actor;
- the passage mentions the years the question pins down;
- each of the question's names and numbers the passage lacks costs a factor ENTITY_FACTOR
  (a passage about Barkhane does not count Dutch soldiers in Kidal).

Each rule earns its place in bench/abstention_ablation.py: switched off, the threshold
recalibrated, it must help on the frozen probes (a name's sentence sharing a term with the
question, person names for role questions, a zero for names the report never uses, the
short-sentence floor, a count's sentence naming the thing counted, and the office a Dutch
who-question names in the passage did not, and went).
Only number, money and date patterns are used, nothing of one report."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.evidence import WORD_TOKEN
from service.question import TIME_WORDS, YEAR, AnswerType, Constraints

if TYPE_CHECKING:
    from service.evidence import EvidenceScorer, ScoredSentence


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Document references: the number after one of these names a part of a text, not a count.
_REFERENCE_WORDS = _words(
    "hoofdstuk hoofdstukken tabel figuur box paragraaf artikel nr no p pp pagina bijlage "
    "vraag onderzoeksvraag resolutie alinea noot chapter table figure section article page "
    "annex question resolution note paragraph"
)
# Fit of a sentence whose passage lacks one of the question's names or numbers, per name:
# on the tuning questions (gold, constraint_probe, english_probe, nearmiss_dev; 5-fold CV
# of the threshold) 0.25 abstained on 0.800 of the near misses and 0.5 on 0.785, both at
# false abstention 0.030; 0 (a hard requirement) leaves too many answerable questions at
# zero (a passage naming "Duitse" for "Duitsland" aside, paraphrases drop names). Those
# figures predate the held-out ablation; it helps on the frozen probes too (README).
ENTITY_FACTOR = 0.25
_TOKEN = WORD_TOKEN
_NUMBER_WORD = re.compile(
    r"(?:(?:twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|dertien|veertien|"
    r"vijftien|zestien|zeventien|achttien|negentien|twintig|dertig|veertig|vijftig|zestig|"
    r"zeventig|tachtig|negentig|honderd|duizend|een)(?:en)?)*"
    r"(?:twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|dertien|veertien|vijftien|"
    r"zestien|zeventien|achttien|negentien|twintig|dertig|veertig|vijftig|zestig|zeventig|"
    r"tachtig|negentig|honderd|duizend|honderden|duizenden|tientallen|miljoen|miljard)"
    r"|two|three|four|five|six|seven|eight|nine|eleven|twelve|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundred|hundreds|thousand|thousands|dozens|million|billion",
    re.IGNORECASE,
)
_NUMERAL = re.compile(rf"\d+(?:[.,\u00a0]\d+)*|\b(?:{_NUMBER_WORD.pattern})\b", re.IGNORECASE)
CONTEXT_CHARS = 40  # how far to look for the words around a number
_LAST_WORD = re.compile(r"([^\W\d_]+)\W*$")
_FIRST_WORD = re.compile(r"\W*([^\W\d_]+)")
_CURRENCY = re.compile(
    r"[€$£]\s?\d|\d\s?(?:[€$£]|eur\b|usd\b)|\b(?:euro|euros|euro's|dollar|dollars|eur|usd)\b",
    re.IGNORECASE,
)
_MONTHS = _words(
    "januari februari maart april mei juni juli augustus september oktober november "
    "december january february march may june july august october"
)
_DAY = re.compile(
    rf"\b\d{{1,2}}\s+(?:{'|'.join(sorted(_MONTHS))})\b|\b(?:{'|'.join(sorted(_MONTHS))})\s+\d{{1,2}}\b"
    r"|\b\d{1,2}[-/]\d{1,2}[-/]\d{2,4}\b",
    re.IGNORECASE,
)
# A name: an initial before a capitalised word (B. Haidara), or two or more capitalised
# words in a row that do not open the sentence (Ibrahim Boubacar Keita, Force Commander).
_NAME = re.compile(
    r"\b(?:[A-Z]\.\s?)+[A-Z][\w'’-]+"
    r"|(?<=[\w,;:)] )[A-Z][a-zà-ÿ'’-]+(?:[ ]+(?:(?:van|de|der|den|von|le|la|du)[ ]+)?"
    r"[A-Z][a-zà-ÿ'’-]+)+"
)


def counts(text: str, *, durations: bool = False) -> list[str]:
    """Cardinal numbers in `text` (digits or number words) that count something: not years,
    dates, document references ("hoofdstuk 3"), or durations unless `durations`."""
    found = []
    for match in _NUMERAL.finditer(text):
        value = match.group(0)
        if not _is_cardinal(text, match.start(), match.end()):
            continue
        before = _LAST_WORD.search(text[max(match.start() - CONTEXT_CHARS, 0) : match.start()])
        after = _FIRST_WORD.match(text[match.end() : match.end() + CONTEXT_CHARS])
        context = (
            before.group(1).lower() if before else "",
            after.group(1).lower() if after else "",
        )
        if _counts_something(*context, durations=durations):
            found.append(value)
    return found


def _is_cardinal(text: str, start: int, end: int) -> bool:
    """A number standing on its own: not glued to a word (AH-64, 100-brief, a footnote
    marker after punctuation), not a year, not a section number (2.3)."""
    value = text[start:end]
    prev = text[start - 1] if start > 0 else " "
    nxt = text[end] if end < len(text) else " "
    if prev.isalnum() or prev in "-’'.,/" or nxt.isalnum() or nxt in "-/":
        return False
    if value[0].isdigit():
        if YEAR.fullmatch(value):
            return False
        groups = value.split(".")
        return len(groups) == 1 or all(len(g) == 3 for g in groups[1:])
    return True


def _counts_something(before: str, after: str, *, durations: bool) -> bool:
    if before in _REFERENCE_WORDS or before in _MONTHS or after in _MONTHS:
        return False
    return durations or after not in TIME_WORDS


def dates(text: str, *, grain: str = "") -> list[str]:
    """Dates in `text` at `grain`: days of a month ("25 april"), month names or years;
    years and month names for any grain."""
    if grain == "day":
        return [m.group(0) for m in _DAY.finditer(text)]
    month = grain != "year"
    year = grain != "month"
    return [
        t
        for t in _TOKEN.findall(text)
        if (year and YEAR.fullmatch(t)) or (month and t.lower() in _MONTHS)
    ]


def names(text: str) -> list[str]:
    """Names in `text`: an initial before a capitalised word, or two or more capitalised
    words in a row inside a sentence."""
    return [m.group(0) for m in _NAME.finditer(text)]


def missing_names(constraints: Constraints, prefixes: frozenset[str]) -> int:
    """How many of the question's names and numbers a passage (its word prefixes) lacks."""
    return sum(e not in prefixes for e in constraints.entities)


def has_value(sentence: str, constraints: Constraints) -> bool:
    """Whether `sentence` holds a value of the expected type the question does not contain."""
    asked = constraints.question_tokens
    match constraints.answer_type:
        case AnswerType.ANY:
            return True
        case AnswerType.MONEY:
            return _CURRENCY.search(sentence) is not None
        case AnswerType.COUNT:
            found = counts(sentence, durations=constraints.asks_time)
            return any(n.lower() not in asked for n in found)
        case AnswerType.DATE:
            found = dates(sentence, grain=constraints.grain)
            months = asked & _MONTHS
            if constraints.grain == "day" and months:  # "op welke dag in juli": a day of July
                found = [d for d in found if not months.isdisjoint(d.lower().split())]
            return any(d.lower() not in asked for d in found)
        case AnswerType.NAME:
            return any(not _asked(n, asked) for n in names(sentence))


def _asked(name: str, asked: frozenset[str]) -> bool:
    """A name using a word of the question ("Force Commander X" for "who was the Force
    Commander") is the question's subject, not its answer."""
    return any(t.lower() in asked for t in _TOKEN.findall(name))


Terms = set[str] | frozenset[str]  # a sentence's analysed terms
Check = Callable[[str, Terms, str, Constraints], bool]


def _pinned_years(_sentence: str, _terms: Terms, passage: str, c: Constraints) -> bool:
    """The passage mentions the years the question pins down."""
    return all(year in passage for year in c.years)


def _actor_named(_sentence: str, terms: Terms, _passage: str, c: Constraints) -> bool:
    """A verdict's sentence names the actor asked about (a verdict by someone else does not
    answer it)."""
    return c.actor <= terms


def _typed_value(sentence: str, _terms: Terms, _passage: str, c: Constraints) -> bool:
    """The sentence holds a value of the expected type that the question lacks."""
    return has_value(sentence, c)


# The checks a sentence (in its passage) must pass to answer a question; each one earns its
# place in bench/abstention_ablation.py (switched off, threshold recalibrated, measured on
# the frozen probes).
CHECKS: dict[str, Check] = {
    "pinned years in the passage": _pinned_years,
    "verdict actor in the sentence": _actor_named,
    "a value of the expected type": _typed_value,
}


def satisfies(
    sentence: str,
    sentence_terms: Terms,
    passage_text: str,
    constraints: Constraints,
) -> bool:
    """Whether one sentence (in its passage) can answer a question with these constraints
    (every check of CHECKS; its passage's names: `fit`)."""
    return all(
        check(sentence, sentence_terms, passage_text, constraints) for check in CHECKS.values()
    )


@dataclass(frozen=True, slots=True)
class Support:
    """How strongly the best candidate sentence that fits the question supports an answer."""

    constraints: Constraints
    strength: float  # max over candidates of strength(sentence) x fit(sentence)
    fitting: int  # candidates whose fit is above 0


def fit(
    sentence: str,
    sentence_terms: Terms,
    passage_text: str,
    prefixes: frozenset[str],
    constraints: Constraints,
) -> float:
    """How well one sentence in its passage meets the question's constraints: 0 when it
    lacks a value of the expected type (or a pinned year, the office, the verdict's actor),
    else ENTITY_FACTOR per name or number of the question its passage lacks."""
    if not satisfies(sentence, sentence_terms, passage_text, constraints):
        return 0.0
    return ENTITY_FACTOR ** missing_names(constraints, prefixes)


def support(
    constraints: Constraints,
    scored: Sequence[ScoredSentence],
    *,
    strength: Callable[[ScoredSentence], float],
    scorer: EvidenceScorer,
) -> Support:
    """The best strength(sentence) x fit(sentence) over the candidates. (Reading a
    caption's table rows as its sentences made no difference on the tuning questions,
    bench/abstention_ablation.py, and went.)"""
    prefixes: dict[str, frozenset[str]] = {}
    best, fitting = 0.0, 0
    for s in scored:
        passage = s.passage
        if passage.passage_id not in prefixes:
            prefixes[passage.passage_id] = scorer.passage_prefixes(passage)
        value = fit(
            s.sentence.text, s.terms, passage.text, prefixes[passage.passage_id], constraints
        )
        fitting += value > 0
        best = max(best, strength(s) * value)
    return Support(constraints, best, fitting)
