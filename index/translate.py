"""English -> Dutch word translation for English queries (dictionary-based CLIR).

The table comes from Debian's FreeDict dictionaries (dictd format): English -> Dutch
headwords directly, plus the Dutch -> English dictionary inverted. It is restricted to
Dutch words the report uses, keyed by the English word's Snowball stem (so `soldiers`
finds the entry of `soldier`), and built once at index build time; the served process
reads it from the index directory and needs no dictionary package.

dictd files: `NAME.index` has lines `headword TAB base64-offset TAB base64-length`; the
entry is that byte range of the gzip'd `NAME.dict.dz`: a first line `headword /ipa/`,
then translations separated by commas, optionally as numbered senses (`1. a, b`).
"""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from index.analysis import fold, words
from index.cues import ENGLISH_QUESTION_WORDS

ENG_NLD = "freedict-eng-nld"
NLD_ENG = "freedict-nld-eng"
MAX_TRANSLATIONS = 4  # per English stem; more senses mostly add noise
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_SENSE = re.compile(r"^\s*\d+\.\s*")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SPLIT = re.compile(r"[,;]")
# English words a query may use that never carry its topic.
_ENGLISH_FUNCTION = (
    frozenset(STOPWORDS_EN) | ENGLISH_QUESTION_WORDS | frozenset({"give", "example"})
)


def b64_number(text: str) -> int:
    """A dictd index number (base64 digits, most significant first)."""
    value = 0
    for char in text:
        value = value * 64 + _B64.index(char)
    return value


def read_dictd(index_path: Path, dict_path: Path) -> Iterator[tuple[str, list[str]]]:
    """(folded headword, folded translations) of each word entry of a dictd dictionary.

    Skips the `00database...` metadata entries and affix entries (`... aanvoelen`).
    """
    with gzip.open(dict_path, "rb") as handle:
        data = handle.read()
    for line in index_path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) < 3 or fields[0].startswith("00database") or not fields[0].strip():
            continue
        headword = fields[0].strip()
        if headword.startswith("...") or fields[0].startswith(" "):
            continue
        start, length = b64_number(fields[1]), b64_number(fields[2])
        entry = data[start : start + length].decode("utf-8", errors="replace")
        yield fold(headword), parse_entry(entry)


def parse_entry(entry: str) -> list[str]:
    """The translations of one dictd entry, folded, in order, once each."""
    found: list[str] = []
    for line in entry.splitlines()[1:]:
        line = _PAREN.sub(" ", _SENSE.sub("", line))
        for part in _SPLIT.split(line):
            text = " ".join(fold(part).replace("...", " ").split())
            if text and "..." not in part:
                found.append(text)
    return list(dict.fromkeys(found))


class EnglishStemmer:
    """Snowball English stems (PyStemmer objects are not thread-safe, hence the lock)."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._lock = threading.Lock()

    def stem(self, word: str) -> str:
        with self._lock:
            return str(self._stemmer.stemWord(word))


def build_table(
    pairs: Iterable[tuple[str, str]], *, in_report: Callable[[str], bool]
) -> dict[str, list[str]]:
    """English stem -> Dutch words from (English word, Dutch word) pairs.

    Keeps single-word pairs whose Dutch word `in_report` accepts and whose English word
    is not a function word; at most MAX_TRANSLATIONS Dutch words per stem, first seen first.
    """
    stemmer = EnglishStemmer()
    table: dict[str, list[str]] = {}
    for english, dutch in pairs:
        if " " in english or " " in dutch or english in _ENGLISH_FUNCTION:
            continue
        if not english.isalpha() or not in_report(dutch):
            continue
        found = table.setdefault(stemmer.stem(english), [])
        if dutch not in found and len(found) < MAX_TRANSLATIONS:
            found.append(dutch)
    return dict(sorted(table.items()))


def dictionary_files(directory: Path) -> dict[str, tuple[Path, Path]] | None:
    """The (index, data) files of both FreeDict dictionaries in `directory`, or None when
    either is missing (a cheap check: nothing is read)."""
    paths = {
        name: (directory / f"{name}.index", directory / f"{name}.dict.dz")
        for name in (ENG_NLD, NLD_ENG)
    }
    return paths if all(path.is_file() for pair in paths.values() for path in pair) else None


def dictionary_pairs(directory: Path) -> list[tuple[str, str]] | None:
    """(English, Dutch) word pairs from both FreeDict dictionaries in `directory`, the
    English -> Dutch ones first; None when either dictionary is missing."""
    paths = dictionary_files(directory)
    if paths is None:
        return None
    forward = [(en, nl) for en, nls in read_dictd(*paths[ENG_NLD]) for nl in nls]
    inverted = [(en, nl) for nl, ens in read_dictd(*paths[NLD_ENG]) for en in ens]
    return forward + inverted


class QueryTranslator:
    """Dutch words for the content words of an English query, from a stored table."""

    def __init__(self, table: Mapping[str, list[str]]) -> None:
        self._table = dict(table)
        self._stemmer = EnglishStemmer()

    def __len__(self) -> int:
        return len(self._table)

    def translate(self, query: str) -> str:
        """The query with each content word replaced by its Dutch words; a word the table
        lacks (a name, an acronym, a cognate such as `Gao` or `ASIFU`) is kept as it is."""
        out: list[str] = []
        for word in words(query):
            if word in _ENGLISH_FUNCTION or len(word) < 2:
                continue
            out.extend(self._table.get(self._stemmer.stem(word), [word]))
        return " ".join(dict.fromkeys(out))
