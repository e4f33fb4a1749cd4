"""The build's text analysis of the passages, kept in the cache directory between builds.

The analysis (the compound vocabulary from wordfreq's Dutch list and the report, every
passage's BM25 terms, the acronym glossary, the English translation table from the FreeDict
dictionaries) is a pure function of the passages, the ingest and index code, those data
files and the libraries that read them. With all of it as the key, a rebuild of unchanged
passages reads it back instead of making it again: ~1-1.5 s of a warm build on 2 cores.
Entries are `cache_dir/analysis/analysis-<key>.json` with their SHA-256 beside them
(`ingest/cachefile.py`); a damaged entry is analysed again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.analysis import DutchAnalyzer, Vocabulary, bm25_text, build_vocabulary
from index.glossary import extract_glossary
from index.translate import build_table, dictionary_files, dictionary_pairs
from ingest.cachefile import code_fingerprint, environment, read_json, sha256_of, store_json
from ingest.models import Passage

logger = logging.getLogger(__name__)

# The libraries whose data or behaviour the analysis depends on: wordfreq's word list,
# PyStemmer's Snowball stems, bm25s's stopword lists.
LIBRARIES = ("wordfreq", "PyStemmer", "bm25s")


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the index build derives from the passages' text, besides their vectors."""

    vocabulary: Vocabulary
    documents: list[list[str]]  # each passage's BM25 terms (section title + text)
    glossary: dict[str, str]
    translations: dict[str, list[str]]  # English stem -> Dutch report words; {}: no FreeDict

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "vocabulary": self.vocabulary.to_dict(),
            "documents": self.documents,
            "glossary": self.glossary,
            "translations": self.translations,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        """Inverse of `to_dict`; raises KeyError/TypeError on a malformed dict."""
        return cls(
            vocabulary=Vocabulary.from_dict(data["vocabulary"]),
            documents=[list(terms) for terms in data["documents"]],
            glossary=dict(data["glossary"]),
            translations={stem: list(dutch) for stem, dutch in data["translations"].items()},
        )


def pipeline_fingerprint() -> str:
    """SHA-256 over the source of the `ingest` and `index` packages (file names and bytes).

    Stored in the manifest; `minusma-qa index --if-needed` rebuilds when it differs, so an
    index built by older code is never served after an upgrade of the code.
    """
    root = Path(__file__).resolve().parent.parent
    return code_fingerprint([root / "ingest", root / "index"])


def prepare(
    passages: Sequence[Passage], *, dictionary_dir: Path, cache_dir: Path | None
) -> Analysis:
    """The analysis of `passages`: from the cache when it holds it, else made (and kept)."""
    if dictionary_files(dictionary_dir) is None:
        logger.warning(
            "no FreeDict dictionaries in %s (apt-get install dict-freedict-eng-nld "
            "dict-freedict-nld-eng): English queries are not translated",
            dictionary_dir,
        )
    if cache_dir is None:
        return analyse(passages, dictionary_dir=dictionary_dir)
    path = analysis_path(passages, dictionary_dir=dictionary_dir, cache_dir=cache_dir)
    data = read_json(path)
    if data is not None:
        try:
            return Analysis.from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # intact, but not an analysis: make it again
    analysis = analyse(passages, dictionary_dir=dictionary_dir)
    store_json(path, analysis.to_dict())
    return analysis


def analysis_path(passages: Sequence[Passage], *, dictionary_dir: Path, cache_dir: Path) -> Path:
    """The cache entry of the analysis of `passages` (made by this code, these dictionaries)."""
    return Path(cache_dir) / "analysis" / f"analysis-{_key(passages, dictionary_dir)}.json"


def analyse(passages: Sequence[Passage], *, dictionary_dir: Path) -> Analysis:
    """Vocabulary, BM25 terms, glossary and translation table of `passages`."""
    vocabulary = build_vocabulary([p.text for p in passages] + [p.section_title for p in passages])
    analyzer = DutchAnalyzer(vocabulary)
    documents = [analyzer.analyze(bm25_text(p)) for p in passages]
    return Analysis(
        vocabulary=vocabulary,
        documents=documents,
        glossary=extract_glossary(p.text for p in passages),
        translations=_translation_table(documents, analyzer, dictionary_dir=dictionary_dir),
    )


def _translation_table(
    documents: Sequence[Sequence[str]], analyzer: DutchAnalyzer, *, dictionary_dir: Path
) -> dict[str, list[str]]:
    """English stem -> Dutch words whose BM25 stem the passages have (as a word, an
    inflection or a compound part: `ongeluk` for `ongelukken`, `mortierongeluk`); {}
    without the FreeDict dictionaries."""
    pairs = dictionary_pairs(dictionary_dir)
    if pairs is None:
        return {}
    stems = {term for doc in documents for term in doc}

    @functools.cache  # the dictionaries' 58k single-word pairs hold 20k Dutch words
    def in_report(dutch: str) -> bool:
        terms = analyzer.analyze(dutch)
        return bool(terms) and terms[0] in stems  # the whole word's stem

    return build_table(pairs, in_report=in_report)


def _key(passages: Sequence[Passage], dictionary_dir: Path) -> str:
    """Everything the analysis depends on, hashed: passages, code, dictionaries, libraries."""
    digest = hashlib.sha256()
    for passage in passages:
        digest.update(json.dumps(passage.to_dict(), sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
    files = dictionary_files(dictionary_dir)
    dictionaries = (
        None
        if files is None
        else {path.name: sha256_of(path) for pair in files.values() for path in pair}
    )
    identity = {
        "code": pipeline_fingerprint(),
        "dictionaries": dictionaries,
        **environment(LIBRARIES),
    }
    digest.update(json.dumps(identity, sort_keys=True).encode())
    return digest.hexdigest()[:24]
