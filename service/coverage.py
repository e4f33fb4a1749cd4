"""Does the report answer the question? An answer-type and constraint check on the candidates.

Near-miss questions use the report's words but ask for a fact it lacks: the cost in euros,
a commander's name, a number of drones, a count in a year after the report, another
mission. Similarity cannot tell them from answerable questions, so this module asks whether
some sentence of the top retrieved passages could satisfy the question's constraints:

- the expected answer type, from the question's leading question word or phrase ("hoeveel"
  / "how many" -> a count, a cost or budget -> an amount of money, "wanneer" / "when" -> a
  date, "wie" / "who" / "naam" -> a name), and a sentence holding a value of that type that
  the question does not already contain (a count is a cardinal number that is not a year,
  a date, a chapter or table number, or - unless the question asks about time - a duration;
  a name that shares a word with the question is its subject, not its answer; a question
  about a role - "commandant", "generaal", or a compound ending in one such as
  "politiecommissaris" - wants a person's name: an initial and surname, capitalised words
  ending in a word rare in general language, or capitalised words that are all rare);
- for a count, the thing counted ("hoeveel burgers", past inflected adjectives: "hoeveel
  vrouwelijke Nederlandse agenten"): the sentence with the number names it; in an English
  question only the counted words the (Dutch) report uses at all are required;
- for a name, the sentence shares a term with the question; in a Dutch question about an
  office ("welke minister"), the passage mentions that office (a president's name does not
  answer a question about a minister);
- the years the question pins down ("in 2015", not "sinds 2020" or "tussen 2014 en 2019"),
  which the passage of that sentence must mention;
- in a Dutch question, no capitalised name the report never uses (not even with the same
  first four letters: "Somalië", "Libanon").

A caption brings the table after it as candidates (the numbers of "Tabel 4" are in the
table). A question without an expected type (why, how, what) passes the type check; the
answerer's similarity confidence still applies to it. Only generic Dutch and English
question words, general word frequencies (wordfreq) and number, money and date patterns are
used, nothing of one report."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from wordfreq import zipf_frequency

from index.analysis import fold
from ingest.models import Passage, PassageKind
from service.evidence import WORD_PREFIX_CHARS, WORD_TOKEN

if TYPE_CHECKING:
    from index.models import Hit
    from service.evidence import EvidenceScorer, QueryTerms


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
    "ambassadeur directeur voorzitter commissaris bevelhebber bevel gezant "
    "name names general colonel commander minister president ambassador director chair "
    "chairman commissioner envoy"
)
ROLE_HEAD_MIN_CHARS = 5  # a compound ending in a role noun ("contingentscommandant")
# Words that ask for a name without naming the office the answer holds.
_NAME_NOUNS = _words("naam namen bevel name names")
_COUNT_PHRASES = (("hoeveel",), ("how", "many"), ("hoe", "vaak"), ("how", "often"))
_MONEY_PHRASES = (("how", "much"),)
_DATE_PHRASES = (
    ("wanneer",),
    ("when",),
    ("welk", "jaar"),
    ("welke", "datum"),
    ("what", "year"),
    ("which", "year"),
    ("what", "date"),
)
_NAME_PHRASES = (("wie",), ("who",), ("whom",))
# Units of time: a number before one is a duration, not a count of things, unless the
# question asks about time ("hoe vaak", "binnen hoeveel tijd").
_TIME_WORDS = _words(
    "seconde seconden minuut minuten uur uren dag dagen week weken maand maanden jaar jaren "
    "eeuw tijd vaak lang keer second seconds minute minutes hour hours day days week weeks "
    "month months year years time often long times"
)
# Document references: the number after one of these names a part of a text, not a count.
_REFERENCE_WORDS = _words(
    "hoofdstuk hoofdstukken tabel figuur box paragraaf artikel nr no p pp pagina bijlage "
    "vraag onderzoeksvraag resolutie alinea noot chapter table figure section article page "
    "annex question resolution note paragraph"
)
_RANGE_WORDS = _words("na sinds vanaf voor tot after since before until from")
_PINNING_WORDS = _words("in op van per during of")
# Confidence factor when no candidate satisfies the question's constraints: 0, i.e. always
# abstain. On the gold set only one answerable question (of 142) fails the check, while
# 12 of 13 unanswerable ones do; no similarity score is trusted over a failed check.
UNCOVERED_FACTOR = 0.0
GENERAL_WORD_ZIPF = 6.0  # "mensen" 6.2, "people" 6.3; "personen" 5.1, "burgers" 4.8
SURNAME_MAX_ZIPF = 3.0  # "Schuthof" 0, "Keita" 2.7; "Zaken" 5.3, "Commander" 4.5
# A name whose every word is this rare is a person's, even when the surname is well known
# from the news: "Amadou Toumani Touré" (3.1), "Dioncounda Traoré" (3.4); not "Kamp Castor"
# ("kamp" 4.8) or "Directie Operaties" (4.0, 4.1).
NAME_WORD_MAX_ZIPF = 3.6
_POSSESSIVE = re.compile(r"['’]s?$")
RANGE_LOOKBACK = 3  # "tot eind april 2022": the range word may stand a few words back

_COUNTED = re.compile(r"\b(hoeveel|how\s+many)((?:\s+\S+){1,3})", re.IGNORECASE)
_TOKEN = WORD_TOKEN
_YEAR = re.compile(r"1[89]\d\d|20\d\d")
_YEAR_RANGE = re.compile(
    r"\b(?:tussen|between|van|from)\s+(1[89]\d\d|20\d\d)\s+(?:en|and|tot|to|until)\s+"
    r"(1[89]\d\d|20\d\d)\b|\b(1[89]\d\d|20\d\d)\s*[-–]\s*(1[89]\d\d|20\d\d)\b",
    re.IGNORECASE,
)
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
# A name: an initial before a capitalised word (B. Haidara), or two or more capitalised
# words in a row that do not open the sentence (Ibrahim Boubacar Keita, Force Commander).
_NAME = re.compile(
    r"\b(?:[A-Z]\.\s?)+[A-Z][\w'’-]+"
    r"|(?<=[\w,;:)] )[A-Z][a-zà-ÿ'’-]+(?:[ ]+(?:(?:van|de|der|den|von|le|la|du)[ ]+)?"
    r"[A-Z][a-zà-ÿ'’-]+)+"
)


@dataclass(frozen=True, slots=True)
class Constraints:
    """What a question requires of a sentence that answers it."""

    answer_type: AnswerType
    years: tuple[str, ...]  # years the answer's passage must mention
    counted: frozenset[str]  # analysed terms of the thing counted (count questions)
    subject: frozenset[str]  # analysed terms of the question (years left out)
    asks_time: bool  # durations ("zes maanden") count as answers
    question_tokens: frozenset[str]  # lower-cased tokens: values the question already has
    unknown_names: tuple[str, ...] = ()  # names of the question the report never uses
    person: bool = False  # the question asks for a person (a role noun: "commandant")
    roles: tuple[str, ...] = ()  # offices the answer's passage must mention (Dutch questions)


@dataclass(frozen=True, slots=True)
class Coverage:
    """Whether some candidate sentence satisfies the question's constraints.

    `score` is the idf-weighted share of the question's terms covered by the best
    satisfying sentence (half from the sentence, half from its passage); 0 when none does.
    """

    constraints: Constraints
    satisfying: int  # candidate sentences that satisfy the constraints
    score: float

    @property
    def satisfied(self) -> bool:
        """True when no name of the question is foreign to the report and at least one
        candidate sentence satisfies the constraints."""
        return self.satisfying > 0 and not self.constraints.unknown_names

    @property
    def factor(self) -> float:
        """What the answerer multiplies its confidence by: 1, or UNCOVERED_FACTOR."""
        return 1.0 if self.satisfied else UNCOVERED_FACTOR


def expected_type(question: str) -> AnswerType:
    """The type of value the question's leading question word or phrase asks for."""
    tokens = [t.lower() for t in _TOKEN.findall(question)]
    start = _question_start(tokens)
    if start is None:
        return AnswerType.ANY
    lead = tokens[start:]
    if _starts_with(lead, _MONEY_PHRASES) or (
        lead[0] in _MONEY_OPENERS and not set(tokens).isdisjoint(_MONEY_WORDS)
    ):
        return AnswerType.MONEY
    if _starts_with(lead, _COUNT_PHRASES):
        return AnswerType.COUNT
    if _starts_with(lead, _DATE_PHRASES):
        return AnswerType.DATE
    if _starts_with(lead, _NAME_PHRASES) or _asks_for_name(lead):
        return AnswerType.NAME
    return AnswerType.ANY


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
    """ "Wat was de naam ...", "Welke Duitse generaal ...": a role or name noun near the start."""
    return lead[0] in {"wat", "welke", "welk", "what", "which"} and any(
        is_role(t) for t in lead[1:5]
    )


def is_role(token: str) -> bool:
    """A role noun, or a Dutch compound ending in one ("politiecommissaris")."""
    return _role_head(token.lower()) is not None


def _role_head(word: str) -> str | None:
    if word in _NAME_ROLES:
        return word
    heads = [r for r in _NAME_ROLES if len(r) >= ROLE_HEAD_MIN_CHARS and word.endswith(r)]
    return max(heads, key=len) if heads else None


def roles_of(question: str) -> tuple[str, ...]:
    """The offices a who-question asks about ("minister", "commissaris" of
    "politiecommissaris"): the person who answers it is named where the office is."""
    heads = (_role_head(t.lower()) for t in _TOKEN.findall(question))
    return tuple(dict.fromkeys(h for h in heads if h is not None and h not in _NAME_NOUNS))


def question_years(question: str) -> tuple[str, ...]:
    """The years a question pins down ("in 2015"). Years bounding a period ("sinds 2020",
    "tot eind april 2022", "tussen 2014 en 2019", "2014-2019") need not appear by the answer."""
    tokens = _TOKEN.findall(_YEAR_RANGE.sub(" ", question))
    years = [
        token
        for i, token in enumerate(tokens)
        if _YEAR.fullmatch(token) and not _bounds_period(tokens[:i])
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


def counted_words(question: str) -> str:
    """The thing the question counts: the first word after "hoeveel" that is not an
    inflected Dutch adjective ("hoeveel vrouwelijke Nederlandse agenten" -> "agenten");
    after "how many", the next two words ("how many Dutch soldiers")."""
    match = _COUNTED.search(question)
    if match is None:
        return ""
    opener, rest = match.groups()
    following = rest.split()
    if opener.lower().startswith("how"):
        return " ".join(following[:2])
    for word in following[:-1]:
        if not word.lower().endswith("e"):
            return word
    return following[-1]


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
        if _YEAR.fullmatch(value):
            return False
        groups = value.split(".")
        return len(groups) == 1 or all(len(g) == 3 for g in groups[1:])
    return True


def _counts_something(before: str, after: str, *, durations: bool) -> bool:
    if before in _REFERENCE_WORDS or before in _MONTHS or after in _MONTHS:
        return False
    return durations or after not in _TIME_WORDS


def dates(text: str) -> list[str]:
    """Years and month names in `text`."""
    return [t for t in _TOKEN.findall(text) if _YEAR.fullmatch(t) or t.lower() in _MONTHS]


def names(text: str) -> list[str]:
    """Names in `text`: an initial before a capitalised word, or two or more capitalised
    words in a row inside a sentence."""
    return [m.group(0) for m in _NAME.finditer(text)]


def constraints_of(question: str, *, scorer: EvidenceScorer, language: str = "nl") -> Constraints:
    """What `question` (in `language`, "nl" or "en") requires of an answering sentence."""
    answer_type = expected_type(question)
    tokens = frozenset(t.lower() for t in _TOKEN.findall(question))
    counted_text = counted_words(question) if answer_type is AnswerType.COUNT else ""
    counted_tokens = [t.lower() for t in _TOKEN.findall(counted_text)]
    if not _TIME_WORDS.isdisjoint(counted_tokens) or all(map(_general, counted_tokens)):
        counted_text = ""  # "binnen hoeveel tijd", "hoeveel mensen": no one word to look for
    counted = scorer.text_terms(counted_text)
    if language != "nl":  # the report is Dutch: an English word it never uses names nothing
        counted -= scorer.query_terms(counted_text).unknown
    years = question_years(question) if answer_type is not AnswerType.ANY else ()
    return Constraints(
        answer_type=answer_type,
        years=years,
        counted=frozenset(counted),
        subject=frozenset(scorer.text_terms(_YEAR.sub(" ", question))),
        asks_time=not tokens.isdisjoint(_TIME_WORDS),
        question_tokens=tokens,
        person=answer_type is AnswerType.NAME and any(map(is_role, tokens)),
        roles=roles_of(question) if answer_type is AnswerType.NAME and language == "nl" else (),
        unknown_names=unknown_names(question, scorer=scorer) if language == "nl" else (),
    )


def _general(word: str) -> bool:
    """A word as common as "mensen" or "people" has too many synonyms to require it."""
    return max(zipf_frequency(word, "nl"), zipf_frequency(word, "en")) >= GENERAL_WORD_ZIPF


def unknown_names(question: str, *, scorer: EvidenceScorer) -> tuple[str, ...]:
    """Capitalised words of the question (its first word aside) that the report never uses,
    not even as a word sharing their first letters ("Britten" / "Britse").

    Only for questions in the report's language: an English question names Germany where
    the report says Duitsland.
    """
    tokens = _TOKEN.findall(question)[1:]
    return tuple(
        token
        for token in dict.fromkeys(tokens)
        if token[0].isupper()
        and fold(_POSSESSIVE.sub("", token))[:WORD_PREFIX_CHARS] not in scorer.word_prefixes
    )


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
            return any(d.lower() not in asked for d in dates(sentence))
        case AnswerType.NAME:
            found = [n for n in names(sentence) if not _asked(n, asked)]
            return any(map(is_personal_name, found)) if constraints.person else bool(found)


def is_personal_name(name: str) -> bool:
    """An initial before a surname, capitalised words ending in one that is rare in general
    Dutch and English (Arjan Schuthof, not Buitenlandse Zaken or Force Commander), or
    capitalised words that are all rare (Amadou Toumani Touré)."""
    if re.match(r"(?:[A-Z]\.\s?)+", name):
        return True
    rarity = [_zipf(word) for word in _TOKEN.findall(name)]
    return rarity[-1] < SURNAME_MAX_ZIPF or (len(rarity) > 1 and max(rarity) < NAME_WORD_MAX_ZIPF)


def _zipf(word: str) -> float:
    return max(zipf_frequency(word, "nl"), zipf_frequency(word, "en"))


def _asked(name: str, asked: frozenset[str]) -> bool:
    """A name using a word of the question ("Force Commander X" for "who was the Force
    Commander") is the question's subject, not its answer."""
    return any(t.lower() in asked for t in _TOKEN.findall(name))


def satisfies(
    sentence: str, sentence_terms: set[str], passage_text: str, constraints: Constraints
) -> bool:
    """Whether one sentence (in its passage) can answer a question with these constraints."""
    if not all(year in passage_text for year in constraints.years):
        return False
    if constraints.counted and sentence_terms.isdisjoint(constraints.counted):
        return False
    if constraints.answer_type is AnswerType.NAME and sentence_terms.isdisjoint(
        constraints.subject
    ):
        return False  # a name in a sentence about something else
    if not all(role in fold(passage_text) for role in constraints.roles):
        return False  # a president's name does not answer a question about a minister
    return has_value(sentence, constraints)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence that might answer, with its analysed terms and its passage's."""

    text: str
    terms: set[str]
    passage_text: str
    passage_terms: set[str]


def candidates(hits: Sequence[Hit], *, scorer: EvidenceScorer) -> list[Candidate]:
    """The sentences of the hits' passages; a caption brings the table it describes, whose
    rows are read together with the caption's words ("Tabel 4. Slachtoffers ...")."""
    out: list[Candidate] = []
    for hit in hits:
        passage = hit.passage
        out.extend(_sentences(passage.passage_id, passage.text, scorer=scorer))
        if passage.kind is PassageKind.CAPTION:
            table = _described_table(passage.passage_id, scorer=scorer)
            if table is not None:
                caption_terms = scorer.passage_terms(passage.passage_id)
                out.extend(
                    Candidate(
                        c.text,
                        c.terms | caption_terms,
                        passage.text + "\n" + c.passage_text,
                        c.passage_terms | caption_terms,
                    )
                    for c in _sentences(table.passage_id, table.text, scorer=scorer)
                )
    return out


def _sentences(passage_id: str, text: str, *, scorer: EvidenceScorer) -> list[Candidate]:
    passage_terms = scorer.passage_terms(passage_id)
    return [
        Candidate(sentence.text, terms, text, passage_terms)
        for sentence, terms in zip(
            scorer.index.sentences(passage_id), scorer.sentence_terms(passage_id), strict=True
        )
    ]


def _described_table(caption_id: str, *, scorer: EvidenceScorer) -> Passage | None:
    """The table passage right after a caption, if there is one."""
    _, next_id = scorer.index.neighbours(caption_id)
    table = scorer.index.passage(next_id) if next_id is not None else None
    return table if table is not None and table.kind is PassageKind.TABLE else None


def check(
    question: str,
    *,
    terms: QueryTerms,
    hits: Sequence[Hit],
    scorer: EvidenceScorer,
    language: str = "nl",
) -> Coverage:
    """Check the sentences of the hits' passages against the question's constraints."""
    constraints = constraints_of(question, scorer=scorer, language=language)
    satisfying = 0
    best = 0.0
    for candidate in candidates(hits, scorer=scorer):
        if satisfies(candidate.text, candidate.terms, candidate.passage_text, constraints):
            satisfying += 1
            unit = terms.coverage(candidate.terms) + terms.coverage(candidate.passage_terms)
            best = max(best, unit / 2)
    return Coverage(constraints, satisfying, best)
