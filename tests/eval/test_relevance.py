"""Evidence-to-passage matching, including spans cut between two passages."""

from __future__ import annotations

from eval.normalize import normalize
from eval.relevance import EvidenceSet, covers, min_piece, overlaps

EVIDENCE = (
    "Ook na het naar beneden bijstellen van het ambitieniveau werd het plafond nooit "
    "gehaald. In het merendeel van de gerapporteerde cijfers bestaat de bijdrage uit de helft"
)
FIRST = (
    "Intro zin. Ook na het naar beneden bijstellen van het ambitieniveau werd het plafond "
    "nooit gehaald."
)
SECOND = (
    "In het merendeel van de gerapporteerde cijfers bestaat de bijdrage uit de helft of minder."
)


def test_whole_evidence_in_one_passage() -> None:
    evidence = EvidenceSet.of(["werd het plafond nooit gehaald. In het merendeel van de"])
    assert evidence.covered_by(FIRST + " " + SECOND) == frozenset({0})


def test_evidence_straddling_two_passages_covers_both() -> None:
    evidence = EvidenceSet.of([EVIDENCE])
    assert evidence.covered_by(FIRST) == frozenset({0})
    assert evidence.covered_by(SECOND) == frozenset({0})
    assert evidence.covered_by("Een andere alinea over helikopters in Gao.") == frozenset()


def test_a_short_piece_at_a_boundary_does_not_count() -> None:
    ev = normalize(EVIDENCE)
    assert min_piece(ev) == 40
    tail_only = "Iets anders. " + EVIDENCE[:25]  # ends with only 20-odd normalised characters
    assert not covers(normalize(tail_only), ev)
    # the piece must sit at the passage boundary, not in the middle
    middle = "Begin. " + EVIDENCE[:70] + " en dan verder over iets anders."
    assert not covers(normalize(middle), ev)


def test_min_piece_is_half_of_short_evidence() -> None:
    assert min_piece("a" * 50) == 25
    assert min_piece("a" * 200) == 40
    assert not covers("abc", "")


def test_answer_overlap() -> None:
    evidence = EvidenceSet.of([EVIDENCE, "een tweede bewijsstuk dat nergens in het antwoord staat"])
    assert evidence.found_in_answer("Het plafond? " + SECOND + " [1]")
    assert not evidence.found_in_answer("De helikopters werden in 2017 teruggetrokken. [1]")
    assert overlaps(normalize(FIRST), normalize("het ambitieniveau werd het plafond nooit gehaald"))
    assert not overlaps("", normalize(EVIDENCE))
    assert len(evidence) == 2
