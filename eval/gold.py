"""Load the gold set (`questions.jsonl`, `claims.jsonl`) into typed records."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.errors import EvalError
from eval.relevance import EvidenceSet

DEFAULT_GOLD_DIR = Path(__file__).resolve().parent / "gold"
QUESTIONS_FILE = "questions.jsonl"
CLAIMS_FILE = "claims.jsonl"


@dataclass(frozen=True, slots=True)
class GoldQuestion:
    """A question with its evidence; `answerable` is False for kind `unanswerable`."""

    id: str
    question: str
    lang: str
    kind: str
    evidence: tuple[str, ...]
    sections: tuple[str, ...]
    answer: str
    also: tuple[str, ...] = ()  # other passages that answer the question on their own

    @property
    def answerable(self) -> bool:
        """Does the report answer it (is there evidence)?"""
        return bool(self.evidence)

    @property
    def evidence_set(self) -> EvidenceSet:
        """The evidence, normalised for matching (evidence coverage counts only these)."""
        return EvidenceSet.of(self.evidence)

    @property
    def relevant_set(self) -> EvidenceSet:
        """Evidence then `also`, normalised: a passage covering any of them is relevant.

        Indices below `len(self.evidence)` are evidence strings, the rest alternates.
        """
        return EvidenceSet.of((*self.evidence, *self.also))


@dataclass(frozen=True, slots=True)
class GoldClaim:
    """A briefing claim with the verdict `/api/cite` should give."""

    id: str
    claim: str
    lang: str
    kind: str
    expected_verdict: str
    evidence: tuple[str, ...]
    sections: tuple[str, ...]

    @property
    def supported(self) -> bool:
        """Is some passage of the report expected to support (part of) it?"""
        return self.kind.startswith("supported")


@dataclass(frozen=True, slots=True)
class Gold:
    """The whole gold set and a hash of its files (part of the run's fingerprint)."""

    questions: tuple[GoldQuestion, ...]
    claims: tuple[GoldClaim, ...]
    sha256: str


def load_gold(gold_dir: Path = DEFAULT_GOLD_DIR) -> Gold:
    """Read both files; raise EvalError naming the file and line on any problem."""
    rows_q, digest_q = _read_jsonl(gold_dir / QUESTIONS_FILE)
    rows_c, digest_c = _read_jsonl(gold_dir / CLAIMS_FILE)
    questions = tuple(_question(row, where) for where, row in rows_q)
    claims = tuple(_claim(row, where) for where, row in rows_c)
    _check_unique([q.id for q in questions], gold_dir / QUESTIONS_FILE)
    _check_unique([c.id for c in claims], gold_dir / CLAIMS_FILE)
    digest = hashlib.sha256((digest_q + digest_c).encode()).hexdigest()
    return Gold(questions, claims, digest)


def load_claims(path: Path) -> tuple[GoldClaim, ...]:
    """The claims of one claims file (`claims.jsonl`, `claims_dev.jsonl`, a probe)."""
    rows, _ = _read_jsonl(path)
    claims = tuple(_claim(row, where) for where, row in rows)
    _check_unique([c.id for c in claims], path)
    return claims


def _read_jsonl(path: Path) -> tuple[list[tuple[str, dict[str, Any]]], str]:
    if not path.is_file():
        raise EvalError(f"gold file {path} not found; pass --gold DIR with {path.name} in it")
    data = path.read_bytes()
    rows = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{where}: not valid JSON ({exc.msg}); fix that line") from None
        if not isinstance(row, dict):
            raise EvalError(f"{where}: expected a JSON object; fix that line")
        rows.append((where, row))
    return rows, hashlib.sha256(data).hexdigest()


def _field(row: dict[str, Any], name: str, where: str) -> Any:
    if name not in row:
        raise EvalError(f"{where}: missing field {name!r}; add it")
    return row[name]


def _strings(row: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = _field(row, name, where)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EvalError(f"{where}: {name!r} must be a list of strings")
    return tuple(value)


def _question(row: dict[str, Any], where: str) -> GoldQuestion:
    return GoldQuestion(
        id=str(_field(row, "id", where)),
        question=str(_field(row, "question", where)),
        lang=str(_field(row, "lang", where)),
        kind=str(_field(row, "kind", where)),
        evidence=_strings(row, "evidence", where),
        sections=_strings(row, "sections", where),
        answer=str(row.get("answer", "")),
        also=_strings(row, "also", where) if "also" in row else (),
    )


def _claim(row: dict[str, Any], where: str) -> GoldClaim:
    return GoldClaim(
        id=str(_field(row, "id", where)),
        claim=str(_field(row, "claim", where)),
        lang=str(row.get("lang", "nl")),
        kind=str(_field(row, "kind", where)),
        expected_verdict=str(_field(row, "expected_verdict", where)),
        evidence=_strings(row, "evidence", where),
        sections=_strings(row, "sections", where),
    )


def _check_unique(ids: list[str], path: Path) -> None:
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            raise EvalError(f"{path}: duplicate id {item_id!r}; ids must be unique")
        seen.add(item_id)
