"""Evidence matching after normalisation: letters and digits only, case-folded.

Ingest repairs the PDF text (rejoins `inter nationale`, removes endnote numbers glued to
words, undoes hyphenation at line ends), so gold evidence copied from the raw text is
compared with passages in this normal form, where all of those differences vanish.
"""

from __future__ import annotations

import unicodedata

MIN_EVIDENCE_CHARS = 40  # a normalised evidence string shorter than this identifies nothing


def normalize(text: str) -> str:
    """Keep only letters and digits, case-folded (NFC first, so `ï` stays one letter)."""
    composed = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in composed.casefold() if ch.isalnum())


def evidence_in(text: str, evidence: str) -> bool:
    """True when `evidence` occurs in `text` once both are normalised.

    An evidence string that normalises to nothing never matches (it would match anything).
    """
    needle = normalize(evidence)
    return bool(needle) and needle in normalize(text)
