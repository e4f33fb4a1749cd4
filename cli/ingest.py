"""`minusma-qa ingest`: turn the report into DIR/passages.jsonl."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_OUT = Path("var/ingest")


def register(app: typer.Typer) -> None:
    """Add the `ingest` command to the `minusma-qa` app."""
    app.command("ingest")(ingest_command)


def ingest_command(
    sources: Annotated[
        list[Path] | None,
        typer.Argument(help="Report files (.txt or .pdf); default: the shipped report."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = DEFAULT_OUT,
    max_tokens: Annotated[
        int | None, typer.Option(help="Passage budget in word pieces (default: settings).")
    ] = None,
) -> None:
    """Ingest the report into OUT/passages.jsonl (one JSON passage per line)."""
    from index.encoders.registry import default_tokenizer
    from ingest.models import IngestConfig
    from ingest.pipeline import ingest_sources, write_passages
    from service.settings import Settings

    started = time.perf_counter()
    if sources:  # the settings are not read: MINUSMA_SOURCES may name absent files
        paths, budget = list(sources), max_tokens or 200
    else:
        settings = Settings()
        paths, budget = list(settings.sources), max_tokens or settings.max_passage_tokens
    config = IngestConfig(tokenizer=default_tokenizer(), max_passage_tokens=budget)
    passages = ingest_sources(paths, config=config, progress=True)
    target = write_passages(passages, out)
    kinds = Counter(p.kind.value for p in passages)
    summary = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
    elapsed = time.perf_counter() - started
    typer.echo(f"wrote {len(passages)} passages ({summary}) to {target} in {elapsed:.1f}s")
