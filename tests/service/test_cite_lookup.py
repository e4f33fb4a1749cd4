"""Claim lookup (service/cite.py): soft word matching, the number rule, and re-ranking on the
real index of the report (claims written for these tests, not taken from the gold set)."""

from __future__ import annotations

import pytest

from index.hybrid import HybridIndex
from ingest.models import PassageKind
from service.cite import ClaimChecker, ClaimEvidence, Support, decide, is_verbatim
from service.claim_parts import (
    Clause,
    SoftMatcher,
    names_in,
    negated,
    numbers_of,
    overstates,
    replaced,
    split_clauses,
)
from service.evidence import EvidenceScorer
from service.settings import Settings

VOCABULARY = ["rotatietijd", "britse", "brief", "analisten", "rotor", "militaire", "2016"]


@pytest.fixture(scope="module")
def checker(report_index: HybridIndex, service_settings: Settings) -> ClaimChecker:
    return ClaimChecker(
        report_index,
        EvidenceScorer(report_index),
        supported_threshold=service_settings.cite_supported_threshold,
        partial_threshold=service_settings.cite_partial_threshold,
    )


def test_a_word_softly_matches_report_words_sharing_a_long_prefix() -> None:
    matcher = SoftMatcher(VOCABULARY)
    assert matcher.matches("rotation") == {"rotation", "rotatietijd"}
    assert matcher.matches("britten") == {"britten", "britse"}
    assert "rotor" not in matcher.matches("rotation")  # "rot" is too short a prefix


def test_short_words_and_numbers_match_only_themselves() -> None:
    matcher = SoftMatcher([*VOCABULARY, "2016", "20160"])
    assert matcher.matches("bri") == {"bri"}
    assert matcher.matches("2016") == {"2016"}


def test_soft_coverage_weighs_informative_words_more() -> None:
    terms = SoftMatcher(VOCABULARY).terms("de rotation")
    assert terms.coverage({"rotatietijd"}) > 0.8  # "de" carries almost no weight
    assert terms.coverage({"de"}) < 0.2
    assert terms.coverage(set()) == 0.0


def test_numbers_are_digit_runs_and_number_words() -> None:
    assert numbers_of("128 interviews in 2021") == {"128", "2021"}
    assert numbers_of("drie Chinooks en vier Apaches") == {"3", "4"}
    assert numbers_of("four Apaches") == numbers_of("vier Apaches")
    assert numbers_of("sinds de jaren negentig") == {"90"} == numbers_of("ninety years")
    assert numbers_of("zeventien IPO's") == {"17"} == numbers_of("seventeen police officers")
    assert numbers_of("een brief over één zin") == set()  # articles, not counts


def test_compound_number_words_are_numbers_and_dutch_ten_is_no_ten() -> None:
    assert numbers_of("negenentwintig militairen") == {"29"} == numbers_of("twenty-nine soldiers")
    assert numbers_of("vijfentwintig procent van de tweehonderd man") == {"25", "200"}
    # "ten minste" / "ten behoeve van" is Dutch for at least / for: no number in it
    assert numbers_of("De missie had ten minste drie helikopters ten behoeve van de VN") == {"3"}
    assert numbers_of("The mission had ten helicopters") == {"10"}
    assert numbers_of("twee militairen kwamen om, een derde raakte gewond") == {"2"}  # ordinal


def test_polarity_is_a_negation_word() -> None:
    assert negated("De bijdrage sloot niet altijd goed aan")
    assert negated("It was never shared") and negated("er was geen tolk")
    assert not negated("De bijdrage sloot altijd goed aan")


def test_a_universal_claim_needs_an_unhedged_universal_in_its_evidence() -> None:
    evidence = "Het vertrouwen was tijdens vrijwel alle rotaties erg gering."
    assert overstates("Het vertrouwen was tijdens alle rotaties gering.", evidence)
    assert not overstates("Het vertrouwen was tijdens de meeste rotaties gering.", evidence)
    assert not overstates("Nederland leverde meer dan elk ander land.", "van alle landen")
    assert overstates("Het sloot altijd aan.", "Het sloot niet altijd aan.")


def test_a_replaced_name_or_number_stands_where_the_evidence_has_another() -> None:
    evidence = "waarna het een jaar duurde voordat een Britse eenheid de taakgroep verving."
    same = str.__eq__
    claim = "Na een jaar nam een Zweedse eenheid de taak over."
    assert replaced(claim, evidence, ["zweedse"], same)
    added = "Na een jaar nam een eenheid de taak over, op verzoek van Zweden."
    assert not replaced(added, evidence, ["zweden"], same)  # an added actor
    count = "In juli 2016 kwamen drie militairen om."
    assert replaced(count, "In juli 2016 kwamen twee militairen om.", ["3"], same)
    assert not replaced(count, "In juli 2016 kwamen militairen om.", ["3"], same)


def test_a_reworded_claim_finds_its_passage_with_a_verbatim_quote(checker: ClaimChecker) -> None:
    result = checker.check("Zoals gepland nam Duitsland midden 2016 de ISR-coy over.")
    assert result.verdict != "not_found"
    assert any("overgenomen door Duitsland" in m.passage.text for m in result.matches)
    for match in result.matches:
        assert is_verbatim(match.quote, match.passage.text)


def test_a_claim_about_a_recommendation_is_matched_to_the_recommendations(
    checker: ClaimChecker,
) -> None:
    result = checker.check("IOB recommends investing in the language skills of deployed staff.")
    assert result.matches[0].passage.kind is PassageKind.RECOMMENDATION
    assert "taalvaardigheid" in result.matches[0].passage.text


def test_a_claim_with_a_wrong_number_is_never_supported(checker: ClaimChecker) -> None:
    right = checker.check("Het onderzoeksteam bezocht Mali in oktober 2021, Bamako en Gao.")
    wrong = checker.check("Het onderzoeksteam bezocht Mali in oktober 2025, Bamako en Gao.")
    assert right.verdict == "supported"
    assert wrong.verdict != "supported"


def test_the_verdict_does_not_depend_on_top_k(checker: ClaimChecker) -> None:
    claim = "Nederlandse politiefunctionarissen werden binnen UNPOL gewaardeerd."
    one, three = checker.check(claim, top_k=1), checker.check(claim, top_k=3)
    assert one.verdict == three.verdict
    assert len(one.matches) == 1 and len(three.matches) == 3
    assert one.matches[0].passage == three.matches[0].passage


def test_an_unrelated_claim_is_not_found(checker: ClaimChecker) -> None:
    result = checker.check("De kaasproductie in Friesland steeg in 1987 met tien procent.")
    assert result.verdict == "not_found"


def test_a_claim_splits_into_clauses_at_commas_and_conjunctions() -> None:
    claim = "De ISR-coy werd in 2016 overgedragen, dat ook de helikopters overnam."
    clauses = split_clauses(claim)
    assert [c.text for c in clauses] == [
        "De ISR-coy werd in 2016 overgedragen",
        "dat ook de helikopters overnam",
    ]
    assert all(claim[c.start : c.end] == c.text for c in clauses)


def test_a_list_item_stays_with_its_clause_but_a_name_is_checked_on_its_own() -> None:
    recipe = split_clauses("Wat is het recept voor appeltaart met kaneel en rozijnen.")
    assert [c.text for c in recipe] == ["Wat is het recept voor appeltaart met kaneel en rozijnen"]
    places = split_clauses("Het team bezocht in 2021 Bamako, Gao en Timboektoe.")
    assert [c.text for c in places] == ["Het team bezocht in 2021 Bamako", "Gao", "Timboektoe"]


def test_names_are_capitalised_words_after_the_first_and_acronyms() -> None:
    assert names_in("De Nederlandse IPO's werkten in Gao") == ["nederlandse", "ipo", "gao"]
    assert names_in("UNPOL waardeerde hen") == ["unpol"]
    assert names_in("Zij werkten in Gao en Kidal", start=20) == ["kidal"]


def test_a_claim_with_a_wrong_actor_is_never_supported(checker: ClaimChecker) -> None:
    right = checker.check("De ISR-coy werd zoals gepland midden 2016 overgenomen door Duitsland.")
    wrong = checker.check("De ISR-coy werd zoals gepland midden 2016 overgenomen door Zweden.")
    assert right.verdict == "supported"
    assert wrong.verdict != "supported"


def test_a_partial_verdict_names_the_supported_and_unsupported_clauses(
    checker: ClaimChecker,
) -> None:
    result = checker.check(
        "Het onderzoeksteam bezocht Mali in oktober 2021, waar het 400 militairen sprak."
    )
    assert result.verdict == "partial"
    assert result.supported_parts == ("Het onderzoeksteam bezocht Mali in oktober 2021",)
    assert result.unsupported_parts == ("waar het 400 militairen sprak",)


def test_a_negated_or_overstated_paraphrase_is_not_found(checker: ClaimChecker) -> None:
    # the report: "De samenwerking tussen Helidet en SOLTG was over het algemeen goed."
    assert checker.check("Helidet en de SOLTG werkten over het algemeen goed samen.").verdict == (
        "supported"
    )
    assert checker.check(
        "Helidet en de SOLTG werkten over het algemeen niet goed samen."
    ).verdict == ("not_found")
    assert checker.check("Helidet en de SOLTG werkten altijd goed samen.").verdict == "not_found"


def test_a_replaced_actor_is_not_found_and_an_added_one_partial(checker: ClaimChecker) -> None:
    claim = "Na het vertrek van de LRRPTG in 2019 duurde het een jaar voordat een {} eenheid "
    claim += "haar taak overnam."
    assert checker.check(claim.format("Britse")).verdict == "supported"
    assert checker.check(claim.format("Franse")).verdict == "not_found"  # not partial
    added = checker.check(
        "De ISR-coy werd midden 2016 overgenomen door Duitsland, dat er een speciale eenheid uit "
        "Berlijn voor inzette."
    )
    assert added.verdict == "partial"
    assert added.unsupported_parts == ("dat er een speciale eenheid uit Berlijn voor inzette",)


def test_a_reworded_clause_is_covered_by_a_similar_span_and_an_added_one_is_not() -> None:
    claim = "A deed B, waarna C volgde"
    first, second = Clause("A deed B", 0, 8), Clause("waarna C volgde", 10, 25)
    whole = [Support(soft=0.5, lexical=0.5, similarity=9.0, agrees=True)]

    def verdict(clause: Support) -> str:
        close = Support(soft=0.9, lexical=0.9, similarity=9.0, agrees=True)
        evidence = ClaimEvidence(claim, [], whole, [(first, [close]), (second, [clause])])
        return decide(evidence, supported=0.5, partial=0.45).verdict

    # few of the clause's words in the passage, but a span as similar as a paraphrase
    assert verdict(Support(soft=0.1, lexical=0.1, similarity=8.0, agrees=True)) == "supported"
    # neither its words nor a similar span: an added detail
    assert verdict(Support(soft=0.1, lexical=0.1, similarity=1.0, agrees=True)) == "partial"
