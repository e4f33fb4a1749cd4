"""Claim lookup (service/cite.py): soft word matching, the number rule, and re-ranking on the
real index of the report (claims written for these tests, not taken from the gold set)."""

from __future__ import annotations

import pytest

from index.hybrid import HybridIndex
from ingest.models import PassageKind
from service.cite import ClaimChecker, is_verbatim
from service.claim_parts import SoftMatcher, names_in, numbers_agree, split_clauses
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


def test_numbers_agree_only_when_every_number_of_the_claim_occurs() -> None:
    assert numbers_agree("128 interviews in 2021", "In 2021 werden 128 interviews gehouden")
    assert not numbers_agree("218 interviews", "In totaal werden 128 interviews gehouden")
    assert numbers_agree("geen getallen", "128")


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
