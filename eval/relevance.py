"""Which passages are relevant to a gold item: its evidence, matched after normalisation.

A passage covers an evidence string when the normalised evidence occurs in the normalised
passage. Chunking can cut a paragraph between two sentences, so an evidence span may
straddle two consecutive passages; then each passage that ends with a prefix, or starts
with a suffix, of the evidence covers it, provided that piece is at least
min(40, half the evidence) normalised characters. A shorter piece could match by chance;
with at least half, one side of any cut always qualifies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from eval.normalize import MIN_EVIDENCE_CHARS, normalize


def min_piece(evidence_norm: str) -> int:
    """The shortest evidence piece that still counts at a passage boundary."""
    return min(MIN_EVIDENCE_CHARS, math.ceil(len(evidence_norm) / 2))


def covers(passage_norm: str, evidence_norm: str) -> bool:
    """Does the normalised passage contain the evidence, or a boundary piece of it?"""
    if not evidence_norm:
        return False
    if evidence_norm in passage_norm:
        return True
    shortest = min_piece(evidence_norm)
    # cheap filters: a qualifying piece contains the passage's first/last `shortest` chars
    tail_fits = passage_norm[-shortest:] in evidence_norm
    head_fits = passage_norm[:shortest] in evidence_norm
    for size in range(len(evidence_norm) - 1, shortest - 1, -1):
        if tail_fits and passage_norm.endswith(evidence_norm[:size]):
            return True
        if head_fits and passage_norm.startswith(evidence_norm[-size:]):
            return True
    return False


def overlaps(text_norm: str, evidence_norm: str) -> bool:
    """Does the text share a run of at least min_piece characters with the evidence?

    Used for answers: an extractive answer may quote one of the two sentences an evidence
    span crosses; a long enough shared run shows it picked the right place.
    """
    if not evidence_norm or not text_norm:
        return False
    if evidence_norm in text_norm:
        return True
    matcher = SequenceMatcher(None, text_norm, evidence_norm, autojunk=False)
    match = matcher.find_longest_match(0, len(text_norm), 0, len(evidence_norm))
    return match.size >= min_piece(evidence_norm)


@dataclass(frozen=True, slots=True)
class EvidenceSet:
    """A gold item's evidence strings, normalised once."""

    normalised: tuple[str, ...]

    @classmethod
    def of(cls, evidence: Sequence[str]) -> EvidenceSet:
        """Normalise the raw evidence strings."""
        return cls(tuple(normalize(e) for e in evidence))

    def __len__(self) -> int:
        return len(self.normalised)

    def covered_by(self, text: str) -> frozenset[int]:
        """Indices of the evidence strings this passage text covers."""
        return self.covered_by_normalised(normalize(text))

    def covered_by_normalised(self, text_norm: str) -> frozenset[int]:
        """`covered_by` for text already passed through `normalize`."""
        return frozenset(i for i, ev in enumerate(self.normalised) if covers(text_norm, ev))

    def found_in_answer(self, text: str) -> bool:
        """Does an answer (its text and quotes) contain any evidence string, or enough of one?"""
        text_norm = normalize(text)
        return any(overlaps(text_norm, ev) for ev in self.normalised)
