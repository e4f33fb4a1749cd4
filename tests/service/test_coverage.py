"""The answer-type and constraint check (service/question.py: what a question asks for;
service/coverage.py: whether a sentence supplies it): each rule on small cases, then end to
end through the app on the real report."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from index.hybrid import HybridIndex
from service import coverage
from service.evidence import EvidenceScorer, word_prefixes
from service.question import (
    AnswerType,
    Constraints,
    constraints_of,
    counted_words,
    entities_of,
    expected_type,
    is_role,
    question_years,
    verdict_actor,
)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Hoeveel militairen werden ingezet?", AnswerType.COUNT),
        ("Met hoeveel mensen werd gesproken?", AnswerType.COUNT),
        ("How many helicopters were sent?", AnswerType.COUNT),
        ("Hoe vaak werden de eenheden afgelost?", AnswerType.COUNT),
        ("Wat kostte de missie?", AnswerType.MONEY),
        ("Hoeveel geld ging er naar de projecten?", AnswerType.MONEY),
        ("Hoe groot was het budget van de missie?", AnswerType.MONEY),
        ("How much did the Netherlands spend?", AnswerType.MONEY),
        ("What was the annual budget of the mission?", AnswerType.MONEY),
        ("Wat was het defensiebudget in 2015?", AnswerType.MONEY),  # a compound's head
        ("Wanneer werd de missie opgericht?", AnswerType.DATE),
        ("In welk jaar begon de missie?", AnswerType.DATE),
        ("When did the mission start?", AnswerType.DATE),
        ("Wie leidde de eenheid?", AnswerType.NAME),
        ("Door wie werden de commando's afgelost?", AnswerType.NAME),
        ("Who chaired the reference group?", AnswerType.NAME),
        ("Wat was de naam van de commandant?", AnswerType.NAME),
        ("Welke Duitse generaal voerde het bevel?", AnswerType.NAME),
        ("Hoe heette de genderexpert?", AnswerType.NAME),
        ("Op welke dag werd de missie opgericht?", AnswerType.DATE),
        ("In welke maand vertrokken de helikopters?", AnswerType.DATE),
        # a statement by an office holder, not the office holder's name
        ("Wat zei de minister in het debat?", AnswerType.ANY),
        ("Waarom werden de helikopters teruggetrokken?", AnswerType.ANY),
        ("Wat is UNPOL?", AnswerType.ANY),
        # a yes/no question asks for no value, even about costs
        ("Zegt het rapport iets over wat de uitzending heeft gekost?", AnswerType.ANY),
        ("Is het gelukt om genoeg agenten uit te zenden?", AnswerType.ANY),
    ],
)
def test_expected_type_follows_the_leading_question_word(
    question: str, expected: AnswerType
) -> None:
    assert expected_type(question) == expected


def test_pinned_years_are_kept_and_period_bounds_dropped() -> None:
    assert question_years("Wie was in 2015 de commandant?") == ("2015",)
    assert question_years("Welk land stuurde in 2014 en 2015 de meeste?") == (
        "2014",
        "2015",
    )
    assert question_years("Hoeveel vluchtelingen tussen 2014 en 2019?") == ()
    assert question_years("Hoeveel agenten zijn sinds 2020 opgeleid?") == ()
    assert question_years("Hoeveel doden tot eind april 2022?") == ()
    assert question_years("Wat gebeurde er in de periode 2014-2019?") == ()
    assert question_years("Wat gebeurde er na de terugtrekking in 2022?") == ("2022",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Een module bestaat uit 92 personen, maar slechts 35 kwamen.", ["92", "35"]),
        ("In totaal 1.500 militairen en twee civiele adviseurs.", ["1.500", "twee"]),
        ("Er waren vijfentwintig agenten.", ["vijfentwintig"]),
        ("Zie hoofdstuk 3 en Tabel 5 en paragraaf 2.3.", []),  # document references
        ("Dat gebeurde op 18 mei 2022.", []),  # a date, not a count
        ("De Artikel 100-brief noemt AH-64D en CH-47.", []),  # glued to a name
        ("Dat werd vastgesteld.’450 Daarna volgde meer.", []),  # a footnote marker
        ("De drones vlogen ongeveer zes maanden niet.", []),  # a duration
        ("Ten slotte ging het ten koste van de inzet.", []),  # Dutch "ten", not English ten
    ],
)
def test_counts_are_cardinals_that_count_something(text: str, expected: list[str]) -> None:
    assert coverage.counts(text) == expected


def test_durations_count_when_the_question_asks_about_time() -> None:
    assert coverage.counts("ongeveer zes maanden", durations=True) == ["zes"]


def test_dates_and_names_are_found() -> None:
    assert coverage.dates("Op 25 april 2013 werd besloten.") == ["april", "2013"]
    assert coverage.dates("Op 25 april 2013 werd besloten.", grain="day") == ["25 april"]
    assert coverage.dates("Op 25 april 2013 werd besloten.", grain="month") == ["april"]
    assert coverage.dates("Op 25 april 2013 werd besloten.", grain="year") == ["2013"]
    assert coverage.names("Het werk is van Y. Guichaoua en L. Riachi.") == [
        "Y. Guichaoua",
        "L. Riachi",
    ]
    assert coverage.names("Dit besloot de Force Commander van de missie.") == ["Force Commander"]
    assert coverage.names("Nederland stuurde militairen.") == []  # a capital opening a sentence


def _constraints(answer_type: AnswerType, question: str, **fields: object) -> Constraints:
    values: dict[str, object] = {
        "answer_type": answer_type,
        "years": (),
        "asks_time": False,
        "question_tokens": frozenset(question.lower().replace("?", "").split()),
    }
    values.update(fields)
    return Constraints(**values)  # type: ignore[arg-type]


def test_a_value_must_be_of_the_expected_type_and_new_to_the_question() -> None:
    money = _constraints(AnswerType.MONEY, "wat kostte het")
    assert coverage.has_value("De inzet kostte 12 miljoen euro.", money)
    assert not coverage.has_value("De inzet kostte veel geld en 12 weken.", money)
    count = _constraints(AnswerType.COUNT, "hoeveel militairen waren er 368")
    assert coverage.has_value("Er waren 450 militairen.", count)
    assert not coverage.has_value("Er waren 368 militairen.", count)  # the question's own number
    date = _constraints(AnswerType.DATE, "wanneer gebeurde dat in 2013")
    assert coverage.has_value("Dat gebeurde in april.", date)
    assert not coverage.has_value("Dat gebeurde in 2013.", date)
    day = _constraints(AnswerType.DATE, "op welke dag in juli 2013 gebeurde dat", grain="day")
    assert coverage.has_value("Dat gebeurde op 1 juli 2013.", day)
    assert not coverage.has_value("Dat gebeurde in juli 2013.", day)  # no day
    assert not coverage.has_value("Dat gebeurde op 25 april 2013.", day)  # not in July
    name = _constraints(AnswerType.NAME, "wie was de force commander")
    assert coverage.has_value("Dat was generaal Michael Lollesgaard.", name)
    assert not coverage.has_value("Vanaf toen stuurde de Force Commander meer.", name)


def test_a_sentence_must_meet_the_pinned_years() -> None:
    count = _constraints(AnswerType.COUNT, "hoeveel drones in 2015", years=("2015",))
    passage = "In 2015 had de eenheid 4 drones."
    assert coverage.satisfies("De eenheid had 4 drones.", {"eenheid", "drone"}, passage, count)
    assert not coverage.satisfies(
        "De eenheid had 4 drones.", {"eenheid", "drone"}, "Later had de eenheid 4 drones.", count
    )  # the passage does not mention 2015


def test_roles_include_the_head_of_a_dutch_compound() -> None:
    assert is_role("politiecommissaris") and is_role("contingentscommandant")
    assert not is_role("ministerie") and not is_role("presidentsverkiezingen")


@pytest.fixture(scope="module")
def scorer(report_index: HybridIndex) -> EvidenceScorer:
    return EvidenceScorer(report_index)


def _support(question: str, report_index: HybridIndex, scorer: EvidenceScorer) -> coverage.Support:
    """The support of the question's top 10 passages, every sentence counting 1."""
    hits = report_index.search(question, k=10)
    vector = report_index.embed_query(question)
    scored = scorer.score_hits(hits, vector, scorer.query_terms(question))
    constraints = constraints_of(question, scorer=scorer)
    return coverage.support(constraints, scored, strength=lambda _s: 1.0, scorer=scorer)


def test_support_is_the_best_fit_among_the_hits(
    report_index: HybridIndex, scorer: EvidenceScorer
) -> None:
    found = _support("Hoeveel diepte-interviews werden er gehouden?", report_index, scorer)
    assert found.constraints.answer_type is AnswerType.COUNT
    assert found.fitting > 0 and found.strength == 1.0
    money = _support("Hoeveel euro kostte de inzet van de helikopters?", report_index, scorer)
    assert money.fitting == 0 and money.strength == 0.0
    # Barkhane is in the report on few pages, and militairen are what is counted: a passage
    # must name both
    other = _support(
        "Hoeveel Nederlandse militairen namen deel aan operatie Barkhane?", report_index, scorer
    )
    assert {"bark", "mili"} <= set(other.constraints.entities)


def test_names_and_numbers_of_the_question_are_looked_for_in_the_passage(
    scorer: EvidenceScorer,
) -> None:
    dutch = constraints_of("Wat deed de SOLTG in Kidal met 368 IPO's?", scorer=scorer)
    assert set(dutch.entities) == {"solt", "kida", "368", "ipo"}
    # a year the question pins down counts, one bounding a period does not
    assert entities_of("Wat deed de SOLTG in 2030?", scorer=scorer) == ("solt", "2030")
    assert entities_of("Wat deed de SOLTG sinds 2030?", scorer=scorer) == ("solt",)
    # a name on most pages tells no passage apart; the report itself is no constraint
    assert entities_of("Wat deed MINUSMA volgens IOB?", scorer=scorer) == ()
    # an English question's capitalised words are English names; its acronyms are kept
    english = entities_of("What did the Dutch SOLTG do?", scorer=scorer, language="en")
    assert english == ("solt",)
    prefixes = word_prefixes("De SOLTG werkte met IPO’s in Kidal.")
    assert coverage.missing_names(dutch, prefixes) == 1  # 368


def test_the_counted_thing_is_its_noun_with_the_qualifiers_before_it() -> None:
    assert counted_words("Hoeveel vrouwelijke civiele experts zond Nederland?") == (
        "vrouwelijke",
        "civiele",
        "experts",
    )
    assert counted_words("Hoeveel burgers kwamen om?") == ("burgers",)
    assert counted_words("How many Dutch soldiers were there?") == ("Dutch", "soldiers")
    # a unit of time or a word as common as "mensen" is no thing to look for
    assert counted_words("Hoeveel dagen duurde het?") == ()
    assert counted_words("Met hoeveel mensen werd gesproken?") == ()
    assert counted_words("Waarom vertrokken zij?") == ()


def test_the_counted_thing_must_be_in_the_passage(
    scorer: EvidenceScorer,
) -> None:
    female = entities_of("Hoeveel vrouwelijke agenten stuurde Nederland?", scorer=scorer)
    assert {"vrou", "agen"} <= set(female)
    # an English word the report never uses names nothing; an English name is not checked
    english = entities_of("How many refugees went to Germany?", scorer=scorer, language="en")
    assert english == ()


def test_a_verdict_must_come_from_the_actor_asked_about(scorer: EvidenceScorer) -> None:
    question = "Wat vond de Malinese regering van de SOLTG?"
    actor = verdict_actor(question, scorer=scorer)
    assert actor and actor <= scorer.text_terms("de Malinese regering")
    assert verdict_actor("Wat concludeert het rapport over de SOLTG?", scorer=scorer) == (
        frozenset()
    )
    assert verdict_actor("Waarom vertrok de SOLTG?", scorer=scorer) == frozenset()
    constraints = constraints_of(question, scorer=scorer)
    said = "De Malinese regering was positief over de SOLTG."
    assert coverage.satisfies(said, scorer.text_terms(said), said, constraints)
    other = "De VN was positief over de SOLTG."
    assert not coverage.satisfies(other, scorer.text_terms(other), other, constraints)


def _ask(client: TestClient, question: str) -> dict[str, object]:
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize(
    "question",
    [
        "Hoeveel euro kostte de inzet van de Chinook-helikopters?",  # money the report lacks
        "Hoeveel tolken had de SOLTG in 2016 in dienst?",  # a count it lacks
    ],
)
def test_the_app_abstains_when_no_sentence_can_answer(client: TestClient, question: str) -> None:
    body = _ask(client, question)
    assert body["grounded"] is False
    assert body["citations"] == []
    assert body["passages"]  # the closest passages are still listed


@pytest.mark.parametrize(
    "question",
    [
        "Hoeveel diepte-interviews hebben de onderzoekers gehouden?",  # a count it has
        "Wie was de voorzitter van de externe referentiegroep?",  # a name it has
        "Wanneer werd MINUSMA opgericht?",  # a date it has
        "Welke lessen trekt IOB uit het terugtrekken van de helikopters?",
    ],
)
def test_the_app_answers_a_question_of_the_same_type_it_covers(
    client: TestClient, question: str
) -> None:
    body = _ask(client, question)
    assert body["grounded"] is True
    assert body["citations"]
