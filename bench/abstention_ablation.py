"""Abstention rule ablation (issue 14): each constraint of service/question.py and
service/coverage.py switched off.

For every variant (one rule off by monkeypatching the module that looks it up, never a flag
in the service) the tuning questions (bench/calibrate_abstention.py TUNING: the gold set,
constraint_probe, english_probe, nearmiss_dev; never the frozen probes) are answered with
abstention off, and the threshold is re-picked by the 3 % rule
(`calibrate_abstention.pick_threshold`) on 4/5 of them and applied to the fifth (5-fold,
seed 0): the table shows the held-out false abstention and near-miss abstention, pooled
and per file (near misses: gold 13, constraint_probe 20, nearmiss_dev 32). A rule earns
its place when switching it off costs near-miss abstention at no lower false abstention.

    MINUSMA_INDEX_DIR=var/index HF_HUB_OFFLINE=1 .venv/bin/python bench/abstention_ablation.py
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from calibrate_abstention import (  # noqa: E402
    GOLD,
    TUNING,
    Row,
    _share,
    answer_all,
    cross_validated,
    load_jsonl,
)

from service import coverage as C  # noqa: E402
from service import question as Q  # noqa: E402
from service.engine import build_engine  # noqa: E402
from service.settings import Settings  # noqa: E402

# name -> the module attributes it replaces: (module, attribute, value); a function is
# patched where it is called (service/question.py `constraints_of` calls the question's
# readers, service/coverage.py `fit` and `has_value` the rest).
ABLATIONS: dict[str, list[tuple[Any, str, Any]]] = {
    "(shipped)": [],
    "expected answer type (all ANY)": [(Q, "expected_type", lambda _q: Q.AnswerType.ANY)],
    "names and numbers in the passage": [(C, "ENTITY_FACTOR", 1.0)],
    "verdict actor in the sentence": [(Q, "verdict_actor", lambda _q, scorer: frozenset())],
    "date granularity": [(Q, "date_grain", lambda _q: "")],
    "names the report never uses": [(Q, "unknown_names", lambda _q, scorer: ())],
    "the counted thing": [(Q, "counted_words", lambda _q: "")],
    "pinned years in the passage": [(Q, "question_years", lambda _q: ())],
    "office named in the passage": [(Q, "roles_of", lambda _q: ())],
    "person names for role questions": [(C, "is_personal_name", lambda _n: True)],
}


def rates(rows: list[Row], name: str) -> str:
    """One markdown row: pooled and per-file held-out rates."""
    cv = cross_validated(rows, budget=0.03)
    cells = [f"{cv['cv5_abstain_answerable']:.3f}", f"{cv['cv5_abstain_unanswerable']:.3f}"]
    for file in ("q", "p", "d"):  # id prefixes of the files with near misses
        mine = [r for r in rows if r.id.startswith(file)]
        held = cross_validated(rows, budget=0.03, only={r.id for r in mine})
        cells.append(f"{held['cv5_abstain_unanswerable']:.3f}")
    english = [r for r in rows if r.id.startswith("e")]
    held = cross_validated(rows, budget=0.03, only={r.id for r in english})
    cells.append(f"{held['cv5_abstain_answerable']:.3f}")
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> None:
    engine = build_engine(Settings())
    questions = [q for name in TUNING for q in load_jsonl(GOLD / f"{name}.jsonl")]
    print(
        "| rule switched off | false abst. (CV) | near-miss abst. (CV) | gold near misses "
        "| constraint_probe | nearmiss_dev | english_probe false abst. |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, patches in ABLATIONS.items():
        with ExitStack() as stack:
            for module, attribute, value in patches:
                stack.enter_context(mock.patch.object(module, attribute, value))
            rows = answer_all(engine, questions)
        print(rates(rows, name), flush=True)
    print(f"(near misses: {_share(not r.answerable for r in rows)} of {len(rows)} questions)")


if __name__ == "__main__":
    main()
