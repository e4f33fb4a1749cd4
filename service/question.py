"""What a question asks for: its expected answer type and the constraints an answer must meet.

Read from the question alone (and the report's vocabulary, for the names it uses); whether
a sentence of the report meets them is service/coverage.py.

- the expected answer type, from the question's leading question word or phrase ("hoeveel"
  / "how many" -> a count, a cost or budget -> an amount of money, "wanneer" / "when" /
  "op welke dag" / "in welke maand" -> a date at that granularity, "wie" / "who" / "hoe
  heette" / "welke generaal" -> a name);
- for a verdict ("Wat vond de Malinese regering van ...", "What did X conclude"), the
  actor (unless the actor is the report itself);
- the years the question pins down ("in 2015", not "sinds 2020" or "tussen 2014 en 2019");
- the question's names and numbers (capitalised words, acronyms, numbers; those on at most
  a tenth of the report's passages) and the words of the thing it counts, qualifiers
  included ("hoeveel vrouwelijke civiele experts").

Only generic Dutch and English question words, general word frequencies (wordfreq) and
number and date patterns are used, nothing of one report."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from wordfreq import zipf_frequency

from index.analysis import words
from service.evidence import WORD_TOKEN, informativeness, word_prefix

if TYPE_CHECKING:
    from service.evidence import EvidenceScorer


class AnswerType(StrEnum):
    """What kind of value the question asks for."""

    COUNT = "count"
    MONEY = "money"
    DATE = "date"
    NAME = "name"
    ANY = "any"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Generic interrogatives. A question that opens with none of these (after at most one
# preposition: "Door wie", "Met hoeveel") is a yes/no question ("Zegt het rapport ...?")
# and expects no particular type of value.
_QUESTION_WORDS = _words(
    "wat wie welke welk wanneer waar waarom hoe hoeveel waarnaar waardoor waarmee waarvoor "
    "what who whom whose which when where why how"
)
_PREPOSITIONS = _words(
    "door met in op voor na van tot binnen sinds uit bij aan over om gedurende "
    "by with in on for after of to within since from at about during"
)
_MONEY_WORDS = _words(
    "kost kosten kostte kostten gekost budget budgetten bedrag bedragen geld salaris "
    "salarissen uitgaven uitgegeven euro euro's dollar dollars "
    "cost costs budget budgets spend spent money salary salaries euros"
)
_MONEY_OPENERS = _words("wat hoeveel hoe welk welke what which how")
_NAME_ROLES = _words(
    "naam namen generaal kolonel commandant commandanten minister president premier "
    "ambassadeur directeur voorzitter commissaris bevelhebber bevel gezant officier expert "
    "adviseur woordvoerder "
    "name names general colonel commander minister president ambassador director chair "
    "chairman commissioner envoy officer expert adviser advisor spokesperson"
)
ROLE_HEAD_MIN_CHARS = 5  # a compound ending in a role noun ("contingentscommandant")
_COUNT_PHRASES = (("hoeveel",), ("how", "many"), ("hoe", "vaak"), ("how", "often"))
_MONEY_PHRASES = (("how", "much"),)
_DATE_PHRASES = (
    ("wanneer",),
    ("when",),
    ("welk", "jaar"),
    ("welke", "maand"),
    ("welke", "datum"),
    ("welke", "dag"),
    ("what", "year"),
    ("which", "year"),
    ("what", "month"),
    ("which", "month"),
    ("what", "date"),
    ("which", "date"),
    ("what", "day"),
    ("which", "day"),
)
# The granularity a date question asks for, from the noun after its question word: a day
# ("op welke dag", "welke datum") needs a day of a month, a month a month's name, a year a
# year; "wanneer" / "when" any of them.
_DATE_GRAIN = {
    "datum": "day",
    "dag": "day",
    "date": "day",
    "day": "day",
    "maand": "month",
    "month": "month",
    "jaar": "year",
    "year": "year",
}
_NAME_PHRASES = (
    ("wie",),
    ("who",),
    ("whom",),
    ("hoe", "heette"),
    ("hoe", "heetten"),
    ("hoe", "heet"),
    ("hoe", "heten"),
    ("what", "was", "the", "name"),
    ("what", "is", "the", "name"),
)
_COPULAS = _words("is was waren zijn are were")
# Units of time: a number before one is a duration, not a count of things, unless the
# question asks about time ("hoe vaak", "binnen hoeveel tijd").
TIME_WORDS = _words(
    "seconde seconden minuut minuten uur uren dag dagen week weken maand maanden jaar jaren "
    "eeuw tijd vaak lang keer second seconds minute minutes hour hours day days week weeks "
    "month months year years time often long times"
)
_RANGE_WORDS = _words("na sinds vanaf voor tot after since before until from")
_PINNING_WORDS = _words("in op van per during of")
# A name or number of the question constrains the answer's passage only when the report
# uses it in at most this share of its passages ("Kidal", "Barkhane"; not "MINUSMA").
ENTITY_MAX_SHARE = 0.1
GENERAL_WORD_ZIPF = 6.0  # "mensen" 6.2, "people" 6.3; "personen" 5.1, "burgers" 4.8
_POSSESSIVE = re.compile(r"['’]s?$")
RANGE_LOOKBACK = 3  # "tot eind april 2022": the range word may stand a few words back
_COUNTED = re.compile(r"\b(hoeveel|how\s+many)((?:\s+[^\W\d_]+){1,3})", re.IGNORECASE)
_TOKEN = WORD_TOKEN
YEAR = re.compile(r"1[89]\d\d|20\d\d")
_YEAR_RANGE = re.compile(
    r"\b(?:tussen|between|van|from)\s+(1[89]\d\d|20\d\d)\s+(?:en|and|tot|to|until)\s+"
    r"(1[89]\d\d|20\d\d)\b|\b(1[89]\d\d|20\d\d)\s*[-–]\s*(1[89]\d\d|20\d\d)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Constraints:
    """What a question requires of a sentence that answers it."""

    answer_type: AnswerType
    years: tuple[str, ...]  # years the answer's passage must mention
    asks_time: bool  # durations ("zes maanden") count as answers
    question_tokens: frozenset[str]  # lower-cased tokens: values the question already has
    grain: str = ""  # a date question's granularity: "day", "month", "year" or "" (any)
    # the question's names and numbers and the words of the thing it counts (folded first
    # letters, WORD_PREFIX_CHARS) that the answer's passage must hold: the mission, unit,
    # place or actor asked about, "vrouwelijke" agents
    entities: tuple[str, ...] = ()
    # a verdict question ("Wat vond de Malinese regering van ...", "What did the Board
    # conclude"): analysed terms of the actor whose verdict is asked, which the answering
    # sentence must name (a verdict by someone else does not answer it)
    actor: frozenset[str] = frozenset()


def expected_type(question: str) -> AnswerType:
    """The type of value the question's leading question word or phrase asks for."""
    tokens = [t.lower() for t in _TOKEN.findall(question)]
    start = _question_start(tokens)
    if start is None:
        return AnswerType.ANY
    lead = tokens[start:]
    if _starts_with(lead, _MONEY_PHRASES) or (
        lead[0] in _MONEY_OPENERS and any(map(_is_money_word, tokens))
    ):
        return AnswerType.MONEY
    if _starts_with(lead, _COUNT_PHRASES):
        return AnswerType.COUNT
    if _starts_with(lead, _DATE_PHRASES):
        return AnswerType.DATE
    if _starts_with(lead, _NAME_PHRASES) or _asks_for_name(lead):
        return AnswerType.NAME
    return AnswerType.ANY


def _is_money_word(token: str) -> bool:
    """A money word, or a Dutch compound ending in one ("defensiebudget")."""
    return token in _MONEY_WORDS or any(
        token.endswith(w) for w in _MONEY_WORDS if len(w) >= ROLE_HEAD_MIN_CHARS
    )


def _question_start(tokens: Sequence[str]) -> int | None:
    """Index of the leading question word, after at most one preposition; None if absent."""
    for i, token in enumerate(tokens[:2]):
        if token in _QUESTION_WORDS:
            return i
        if token not in _PREPOSITIONS:
            return None
    return None


def _starts_with(tokens: Sequence[str], phrases: Iterable[tuple[str, ...]]) -> bool:
    return any(tuple(tokens[: len(p)]) == p for p in phrases)


def _asks_for_name(lead: Sequence[str]) -> bool:
    """ "Welke Duitse generaal ...", "Wat was de naam ...": the question word's phrase is
    headed by a role or name noun ("welke" with at most one adjective before it, or "wat"
    with a copula and an article), not "Wat zei de minister ..." (a statement)."""
    if lead[0] in {"welke", "welk", "which"}:
        return any(is_role(t) for t in lead[1:3])
    if lead[0] in {"wat", "what"} and len(lead) > 3 and lead[1] in _COPULAS:
        return is_role(lead[3])
    return False


def is_role(token: str) -> bool:
    """A role noun, or a Dutch compound ending in one ("politiecommissaris")."""
    return _role_head(token.lower()) is not None


def _role_head(word: str) -> str | None:
    if word in _NAME_ROLES:
        return word
    heads = [r for r in _NAME_ROLES if len(r) >= ROLE_HEAD_MIN_CHARS and word.endswith(r)]
    return max(heads, key=len) if heads else None


_VERDICT = re.compile(
    r"^\W*(?:wat|hoe)\s+(?:vond|vonden|vindt|vinden|dacht|dachten|denkt|denken|oordeelde|"
    r"oordeelden|oordeelt|beoordeelde|beoordeelden|beoordeelt|concludeerde|concludeerden|"
    r"concludeert|zei|zeiden|zegt|zeggen)\s+(.+?)\s+(?:van|over|om|\?|$)"
    r"|^\W*(?:what|how)\s+(?:did|does|do)\s+(.+?)\s+(?:think|say|conclude|judge|assess|"
    r"view)\b",
    re.IGNORECASE,
)


# The report (its authors) as the actor: "Wat concludeert het rapport", "What does IOB say".
_SELF = _words("rapport report evaluatie evaluation onderzoek study iob auteurs authors")
ACTOR_MIN_INFORMATIVENESS = 0.5  # "the", "de" and "people" name no actor


def verdict_actor(question: str, *, scorer: EvidenceScorer) -> frozenset[str]:
    """The analysed terms (known to the report) of the actor whose verdict, statement or
    conclusion the question asks for; empty for other questions."""
    match = _VERDICT.search(question)
    if match is None:
        return frozenset()
    actor = [w for w in words(match.group(1) or match.group(2))]
    if not _SELF.isdisjoint(w.lower() for w in actor):
        return frozenset()  # the report's own conclusions: any sentence of it is one
    informative = " ".join(w for w in actor if informativeness(w) >= ACTOR_MIN_INFORMATIVENESS)
    terms = scorer.query_terms(informative)
    return frozenset(t for t in terms.weights if t not in terms.unknown)


def date_grain(question: str) -> str:
    """The granularity a date question asks for ("day", "month", "year"; "" for any)."""
    tokens = [t.lower() for t in _TOKEN.findall(question)]
    start = _question_start(tokens)
    lead = tokens[start : start + 2] if start is not None else []
    return _DATE_GRAIN.get(lead[1], "") if len(lead) == 2 else ""


def entities_of(question: str, *, scorer: EvidenceScorer, language: str = "nl") -> tuple[str, ...]:
    """The question's names and numbers, as folded first letters (WORD_PREFIX_CHARS, so
    "Duitsland" is found in "Duitse"): in a Dutch question its capitalised words but the
    first, in an English one its acronyms (its other capitalised words are English names:
    "Germany"), and numbers; each kept only when the report uses it in at most
    ENTITY_MAX_SHARE of its passages (not "MINUSMA"), since a word on every page tells no
    passage apart; the years it pins down ("in 2030", not "sinds 2020") always; and the
    words of the thing it counts (`counted_words`). What a passage must name to be about
    the same thing."""
    tokens = _TOKEN.findall(question)[1:]
    pinned = question_years(question)
    out: dict[str, None] = {}
    for token in tokens:
        name = token.isupper() if language != "nl" else token[0].isupper()
        if YEAR.fullmatch(token):
            if token in pinned:  # "in 2030", not "sinds 2020"
                out[token] = None
            continue
        if not (name or any(ch.isdigit() for ch in token)):
            continue
        if token.lower() in _SELF:
            continue  # "volgens IOB": the report itself
        terms = scorer.text_terms(_POSSESSIVE.sub("", token))
        if any(0 < scorer.passage_share(t) <= ENTITY_MAX_SHARE for t in terms):
            out[word_prefix(token)] = None
    for word in counted_words(question):
        if language == "nl" or word_prefix(word) in scorer.word_prefixes:
            out[word_prefix(word)] = None  # an English word the report never uses names nothing
    return tuple(out)


def counted_words(question: str) -> tuple[str, ...]:
    """The words of the thing the question counts: after "hoeveel", up to the first that
    is not an inflected Dutch adjective ("hoeveel vrouwelijke civiele experts"), after "how
    many" the next two ("how many Dutch soldiers"); units of time and words as common as
    "mensen" or "people" left out (too many synonyms to require them)."""
    match = _COUNTED.search(question)
    if match is None:
        return ()
    opener, rest = match.groups()
    following = rest.split()
    if opener.lower().startswith("how"):
        phrase = following[:2]
    else:  # the adjectives, then the noun
        nouns = [i for i, word in enumerate(following) if not word.lower().endswith("e")]
        phrase = following[: nouns[0] + 1] if nouns else following
    return tuple(w for w in phrase if w.lower() not in TIME_WORDS and not _general(w.lower()))


def _general(word: str) -> bool:
    """A word as common as "mensen" or "people" has too many synonyms to require it."""
    return max(zipf_frequency(word, "nl"), zipf_frequency(word, "en")) >= GENERAL_WORD_ZIPF


def question_years(question: str) -> tuple[str, ...]:
    """The years a question pins down ("in 2015"). Years bounding a period ("sinds 2020",
    "tot eind april 2022", "tussen 2014 en 2019", "2014-2019") need not appear by the answer."""
    tokens = _TOKEN.findall(_YEAR_RANGE.sub(" ", question))
    years = [
        token
        for i, token in enumerate(tokens)
        if YEAR.fullmatch(token) and not _bounds_period(tokens[:i])
    ]
    return tuple(dict.fromkeys(years))


def _bounds_period(before: Sequence[str]) -> bool:
    """Whether a range word ("sinds", "tot") opens the few words before a year."""
    for token in reversed(before[-RANGE_LOOKBACK:]):
        word = token.lower()
        if word in _RANGE_WORDS:
            return True
        if word in _PINNING_WORDS:
            return False
    return False


def constraints_of(question: str, *, scorer: EvidenceScorer, language: str = "nl") -> Constraints:
    """What `question` (in `language`, "nl" or "en") requires of an answering sentence."""
    answer_type = expected_type(question)
    tokens = frozenset(t.lower() for t in _TOKEN.findall(question))
    years = question_years(question) if answer_type is not AnswerType.ANY else ()
    return Constraints(
        answer_type=answer_type,
        years=years,
        asks_time=not tokens.isdisjoint(TIME_WORDS),
        question_tokens=tokens,
        grain=date_grain(question) if answer_type is AnswerType.DATE else "",
        entities=entities_of(question, scorer=scorer, language=language),
        actor=verdict_actor(question, scorer=scorer),
    )
